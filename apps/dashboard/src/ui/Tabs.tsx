import { useRef } from "preact/hooks";
import { stepTab, type Tab, TABS } from "../tabs.ts";

/** The tab list (WAI-ARIA tabs: arrow keys, Home and End move between tabs; Tab moves into the panel). */
export const Tabs = ({ current, onSelect }: { readonly current: Tab; readonly onSelect: (tab: Tab) => void }) => {
  const list = useRef<HTMLDivElement>(null);
  const go = (tab: Tab): void => {
    onSelect(tab);
    list.current?.querySelector<HTMLButtonElement>(`#tab-${tab}`)?.focus();
  };
  return (
    <div
      class="tabs"
      role="tablist"
      aria-label="sections"
      ref={list}
      onKeyDown={(e) => {
        const key = e.key;
        const target =
          key === "ArrowRight" ? stepTab(current, 1) : key === "ArrowLeft" ? stepTab(current, -1) : key === "Home" ? TABS[0]?.key : key === "End" ? TABS[TABS.length - 1]?.key : undefined;
        if (target === undefined) return;
        e.preventDefault();
        go(target);
      }}
    >
      {TABS.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          id={`tab-${t.key}`}
          aria-selected={t.key === current}
          aria-controls={`panel-${t.key}`}
          tabIndex={t.key === current ? 0 : -1}
          data-testid={`tab-${t.key}`}
          onClick={() => onSelect(t.key)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
};
