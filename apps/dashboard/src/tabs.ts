export type Tab = "fleet" | "capacity" | "work" | "history";

export const TABS: ReadonlyArray<{ readonly key: Tab; readonly label: string }> = [
  { key: "fleet", label: "Fleet" },
  { key: "capacity", label: "Capacity" },
  { key: "work", label: "Work" },
  { key: "history", label: "History" }
];

/** The tab a URL hash names (`#work`, `#/work`, any case), else Fleet. */
export const tabFromHash = (hash: string): Tab => {
  const name = hash.replace(/^#\/?/, "").toLowerCase();
  return TABS.find((t) => t.key === name)?.key ?? "fleet";
};

/** The tab `step` places away (arrow keys), wrapping around. */
export const stepTab = (current: Tab, step: number): Tab => {
  const i = TABS.findIndex((t) => t.key === current);
  const next = TABS[(((i + step) % TABS.length) + TABS.length) % TABS.length];
  return next === undefined ? current : next.key;
};
