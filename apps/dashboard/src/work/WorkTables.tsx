import type { ComponentChildren } from "preact";
import type { QueuedWork, Work } from "../api/types.ts";
import { formatTime } from "../format.ts";
import { CancelButton } from "./CancelButton.tsx";

interface RowProps {
  readonly work: Work;
  readonly selected: boolean;
  readonly onOpen: (workId: string) => void;
  readonly children: ComponentChildren;
}

/** A job's row: clicking it (or its kind, a real button for the keyboard) opens the detail. */
const Row = ({ work, selected, onOpen, children }: RowProps) => (
  <tr data-work-id={work.work_id} data-state={work.state} class={selected ? "selected" : undefined} onClick={() => onOpen(work.work_id)}>
    <th scope="row">
      <button type="button" class="link" aria-expanded={selected} onClick={(e) => (e.stopPropagation(), onOpen(work.work_id))}>
        {work.kind}
      </button>
    </th>
    {children}
  </tr>
);

const Table = ({ testid, head, empty, children }: { testid: string; head: ReadonlyArray<string>; empty: boolean; children: ComponentChildren }) =>
  empty ? (
    <p class="muted" data-testid={`${testid}-empty`}>
      none
    </p>
  ) : (
    <div class="table-wrap">
      <table data-testid={testid}>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );

interface ListProps<W extends Work> {
  readonly list: ReadonlyArray<W>;
  readonly selected: string | null;
  readonly onOpen: (workId: string) => void;
}

export const ActiveTable = ({ list, selected, onOpen }: ListProps<Work>) => (
  <Table testid="work-active" head={["kind", "state", "agent", "GPU", "started / dispatched", ""]} empty={list.length === 0}>
    {list.map((w) => (
      <Row key={w.work_id} work={w} selected={w.work_id === selected} onOpen={onOpen}>
        <td data-testid="state">{w.state}</td>
        <td>{w.agent_id ?? "—"}</td>
        <td>{w.gpu_index ?? "—"}</td>
        <td>{formatTime(w.started_at ?? w.dispatched_at ?? w.created_at)}</td>
        <td>
          <CancelButton work={w} />
        </td>
      </Row>
    ))}
  </Table>
);

export const QueuedTable = ({ list, selected, onOpen }: ListProps<QueuedWork>) => (
  <Table testid="work-queued" head={["kind", "position", "priority", "waiting because", ""]} empty={list.length === 0}>
    {list.map((w) => (
      <Row key={w.work_id} work={w} selected={w.work_id === selected} onOpen={onOpen}>
        <td data-testid="position">{w.position}</td>
        <td>{w.priority}</td>
        <td>{w.waiting_reason ?? "—"}</td>
        <td>
          <CancelButton work={w} />
        </td>
      </Row>
    ))}
  </Table>
);

export const FinishedTable = ({ list, selected, onOpen }: ListProps<Work>) => (
  <Table testid="work-finished" head={["kind", "state", "agent", "exit code", "finished"]} empty={list.length === 0}>
    {list.map((w) => (
      <Row key={w.work_id} work={w} selected={w.work_id === selected} onOpen={onOpen}>
        <td data-testid="state">{w.state}</td>
        <td>{w.agent_id ?? "—"}</td>
        <td>{w.result?.exit_code ?? "—"}</td>
        <td>{formatTime(w.finished_at ?? w.result?.finished_at ?? w.updated_at)}</td>
      </Row>
    ))}
  </Table>
);
