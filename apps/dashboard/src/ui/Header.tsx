import { useMemo } from "preact/hooks";
import type { StreamStatus } from "../api/eventStream.ts";
import { formatGb } from "../format.ts";
import { summarize } from "../state/summary.ts";
import { useLive, useStoreValue } from "./hooks.ts";

const STATUS_TEXT: Readonly<Record<StreamStatus, string>> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  "needs-token": "needs token"
};

const Connection = () => {
  const { connection } = useLive();
  const { status, detail } = useStoreValue(connection);
  return (
    <div class={`connection connection-${status}`} role="status" aria-live="polite" data-testid="connection" data-state={status}>
      <span class="dot" aria-hidden="true" />
      <span data-testid="connection-text">{STATUS_TEXT[status]}</span>
      {detail === null ? null : <span class="muted small"> ({detail})</span>}
    </div>
  );
};

const Summary = () => {
  const { fleet } = useLive();
  const state = useStoreValue(fleet);
  const s = useMemo(() => summarize(state), [state]);
  return (
    <dl class="summary" aria-label="fleet summary">
      <div>
        <dt>agents online</dt>
        <dd data-testid="summary-agents" data-online={s.online} data-total={s.total}>
          {s.online} / {s.total}
        </dd>
      </div>
      <div>
        <dt>GPUs</dt>
        <dd data-testid="summary-gpus" data-value={s.gpus}>
          {s.gpus}
        </dd>
      </div>
      <div>
        <dt>free VRAM</dt>
        <dd data-testid="summary-free-vram" data-value={s.freeVramGb}>
          {formatGb(s.freeVramGb)}
        </dd>
      </div>
      <div>
        <dt>queued</dt>
        <dd data-testid="summary-queued" data-value={s.queued}>
          {s.queued}
        </dd>
      </div>
    </dl>
  );
};

export const Header = () => (
  <header class="top">
    <div class="brand-row">
      <h1>homelab fleet</h1>
      <Connection />
    </div>
    <Summary />
  </header>
);
