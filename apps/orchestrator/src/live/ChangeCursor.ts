/**
 * Where the live feed's next read of "what changed" starts, and which rows
 * it has already sent. A row is read by its `updated_at` (the database's
 * now() of the transaction that wrote it), and a transaction can commit a
 * moment after a read that began later than its now(): each read starts
 * OVERLAP_MS before the previous read's time, and a row comes out again
 * only if its `updated_at` differs from the one last sent. Times are the
 * registry's ISO strings (`2025-01-31T12:00:00.123Z`), ordered as text.
 */
export const OVERLAP_MS = 2000;

type Kind = "agent" | "work";

export class ChangeCursor {
  private last: string | undefined;
  private readonly sent: Record<Kind, Map<string, string>> = { agent: new Map(), work: new Map() };

  /** The `updatedSince` of the next read, given the database's time now. */
  since(now: string): string {
    return new Date(Date.parse(this.last ?? now) - OVERLAP_MS).toISOString();
  }

  /** The rows not sent before with this `updated_at`; they count as sent from now on. */
  fresh<R extends { readonly updated_at: string }>(kind: Kind, rows: ReadonlyArray<R>, key: (row: R) => string): ReadonlyArray<R> {
    const sent = this.sent[kind];
    return rows.filter((row) => {
      const id = key(row);
      if (sent.get(id) === row.updated_at) return false;
      sent.set(id, row.updated_at);
      return true;
    });
  }

  /** The read that began at `now` is done: forget rows too old for the next read to see again. */
  advance(now: string): void {
    this.last = now;
    const horizon = this.since(now);
    for (const sent of Object.values(this.sent)) {
      for (const [id, at] of sent) if (at < horizon) sent.delete(id);
    }
  }

  /** No page is connected: the next read starts afresh. */
  reset(): void {
    this.last = undefined;
    this.sent.agent.clear();
    this.sent.work.clear();
  }
}
