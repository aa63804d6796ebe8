/** A small error shown at the top of the page (a malformed event, a dropped item). */
export interface Notice {
  readonly id: number;
  readonly message: string;
  /** How many times in a row it happened. */
  readonly count: number;
}

/** How many different notices stay on screen. */
export const NOTICE_LIMIT = 5;

/** Adds a notice: the same message again only counts up, and the oldest go past the limit. */
export const addNotice = (notices: ReadonlyArray<Notice>, message: string, id: number): ReadonlyArray<Notice> => {
  const same = notices.find((n) => n.message === message);
  if (same !== undefined) return notices.map((n) => (n === same ? { ...n, count: n.count + 1 } : n));
  return [...notices, { id, message, count: 1 }].slice(-NOTICE_LIMIT);
};
