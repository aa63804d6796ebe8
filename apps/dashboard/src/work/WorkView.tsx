import { useMemo, useState } from "preact/hooks";
import { kindsOf } from "../fleet/filters.ts";
import { activeList, findWork } from "../state/fleetState.ts";
import { useLive, useStoreValue } from "../ui/hooks.ts";
import { SubmitForm } from "./SubmitForm.tsx";
import { WorkDetail } from "./WorkDetail.tsx";
import { ActiveTable, FinishedTable, QueuedTable } from "./WorkTables.tsx";

/** Running, queued and finished work, a job's detail, and the submit form. */
export const WorkView = ({ active }: { readonly active: boolean }) => {
  const live = useLive();
  const state = useStoreValue(live.fleet);
  const [selected, setSelected] = useState<string | null>(null);
  // Hidden, the tab does no work per heartbeat.
  const kinds = useMemo(() => (active ? kindsOf([...state.agents.values()]) : []), [state.agents, active]);
  const running = useMemo(() => activeList(state.active), [state.active]);
  const liveJob = selected === null ? undefined : findWork(state, selected);
  const liveVersion = liveJob === undefined ? "" : `${liveJob.state}@${liveJob.updated_at ?? ""}`;
  const open = (workId: string): void => setSelected(workId);

  return (
    <div class="work">
      <div class="work-lists">
        {active ? (
          <>
            <h3>Running, dispatched, pending</h3>
            <ActiveTable list={running} selected={selected} onOpen={open} />
            <h3>Queued</h3>
            <QueuedTable list={state.queued} selected={selected} onOpen={open} />
            <h3>Finished (latest {state.finished.length})</h3>
            <FinishedTable list={state.finished} selected={selected} onOpen={open} />
          </>
        ) : null}
      </div>
      <div class="work-side">
        {selected === null ? null : <WorkDetail workId={selected} liveVersion={liveVersion} onClose={() => setSelected(null)} />}
        <SubmitForm kinds={kinds} onSubmitted={open} />
      </div>
    </div>
  );
};
