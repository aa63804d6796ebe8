import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { CapacityView } from "./capacity/CapacityView.tsx";
import { FleetView } from "./fleet/FleetView.tsx";
import { HistoryView } from "./history/HistoryView.tsx";
import type { Live } from "./live.ts";
import { type Tab, tabFromHash, TABS } from "./tabs.ts";
import { Header } from "./ui/Header.tsx";
import { LiveContext } from "./ui/hooks.ts";
import { Notices } from "./ui/Notices.tsx";
import { Tabs } from "./ui/Tabs.tsx";
import { TokenForm } from "./ui/TokenForm.tsx";
import { WorkView } from "./work/WorkView.tsx";

const Panel = ({ tab, current, children }: { readonly tab: Tab; readonly current: Tab; readonly children: ComponentChildren }) => (
  <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} hidden={tab !== current} data-testid={`panel-${tab}`}>
    <h2 class="visually-hidden">{TABS.find((t) => t.key === tab)?.label}</h2>
    {children}
  </section>
);

/** The page: header, token form when asked, notices, and the four tabs (the URL hash names the open one). */
export const App = ({ live }: { readonly live: Live }) => {
  const [tab, setTab] = useState<Tab>(() => tabFromHash(location.hash));
  useEffect(() => live.connect(), [live]);
  useEffect(() => {
    const onHash = (): void => setTab(tabFromHash(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  const select = (next: Tab): void => {
    setTab(next);
    // replaceState: switching tabs should not fill the back button's history.
    history.replaceState(null, "", `#${next}`);
  };

  return (
    <LiveContext.Provider value={live}>
      <Header />
      <main>
        <TokenForm />
        <Notices />
        <Tabs current={tab} onSelect={select} />
        {/* Every panel stays mounted (forms keep what was typed); the heavy lists render only in the open one. */}
        <Panel tab="fleet" current={tab}>
          <FleetView active={tab === "fleet"} />
        </Panel>
        <Panel tab="capacity" current={tab}>
          <CapacityView />
        </Panel>
        <Panel tab="work" current={tab}>
          <WorkView active={tab === "work"} />
        </Panel>
        <Panel tab="history" current={tab}>
          <HistoryView active={tab === "history"} />
        </Panel>
      </main>
    </LiveContext.Provider>
  );
};
