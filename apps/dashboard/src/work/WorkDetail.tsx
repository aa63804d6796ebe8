import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { decodeWork } from "../api/decodeWork.ts";
import type { Work } from "../api/types.ts";
import { formatDuration, formatGb, formatTime } from "../format.ts";
import { useLive } from "../ui/hooks.ts";
import { CancelButton } from "./CancelButton.tsx";

interface Props {
  readonly workId: string;
  /** The job as the live stream last showed it: a change there loads the detail again (new state, output). */
  readonly liveVersion: string;
  readonly onClose: () => void;
}

const Row = ({ label, children }: { readonly label: string; readonly children: ComponentChildren }) => (
  <>
    <dt>{label}</dt>
    <dd>{children}</dd>
  </>
);

const requirementsText = (w: Work): string => {
  const r = w.requirements;
  const parts = [
    r.min_vram_gb === undefined ? null : `${r.min_vram_gb} GB VRAM on one GPU`,
    r.min_cores === undefined ? null : `${r.min_cores} cores`,
    r.min_memory_gb === undefined ? null : `${r.min_memory_gb} GB memory`,
    r.gpu_type === undefined ? null : `GPU ${r.gpu_type}`
  ].filter((p) => p !== null);
  return parts.length === 0 ? "none" : parts.join(", ");
};

/** One job in full (`GET /work/:id`), with its output. */
export const WorkDetail = ({ workId, liveVersion, onClose }: Props) => {
  const { api } = useLive();
  const [work, setWork] = useState<Work | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), [workId]);
  useEffect(() => {
    let current = true;
    void api.request("GET", `/work/${encodeURIComponent(workId)}`, decodeWork).then((result) => {
      if (!current) return;
      if (result.ok) {
        setWork(result.value);
        setError(null);
      } else setError(result.message);
    });
    return () => {
      current = false;
    };
  }, [api, workId, liveVersion]);

  const shown = work !== null && work.work_id === workId ? work : null;
  return (
    <section class="detail" data-testid="work-detail" data-work-id={workId} aria-labelledby="work-detail-title">
      <div class="detail-head">
        <h3 id="work-detail-title" tabIndex={-1} ref={heading}>
          {shown === null ? "job" : `${shown.kind} job`} <code>{workId}</code>
        </h3>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {error === null ? null : (
        <p class="error" role="alert" data-testid="work-detail-error">
          {error}
        </p>
      )}
      {shown === null ? (
        error === null ? <p class="muted">loading…</p> : null
      ) : (
        <>
          <dl class="facts">
            <Row label="state">
              <span data-testid="work-state">{shown.state}</span>
            </Row>
            {shown.reason === null ? null : <Row label="reason">{shown.reason}</Row>}
            {shown.waiting_reason === null ? null : <Row label="waiting because">{shown.waiting_reason}</Row>}
            <Row label="params">
              {Object.keys(shown.params).length === 0 ? (
                "none"
              ) : (
                <ul class="plain" data-testid="work-params">
                  {Object.entries(shown.params).map(([k, v]) => (
                    <li key={k}>
                      <code>{k}</code> = <code>{v}</code>
                    </li>
                  ))}
                </ul>
              )}
            </Row>
            <Row label="requirements">{requirementsText(shown)}</Row>
            <Row label="agent">
              {shown.agent_id ?? "—"}
              {shown.gpu_index === null ? "" : `, GPU ${shown.gpu_index}`}
            </Row>
            {shown.allocation === null ? null : (
              <Row label="allocation">
                {formatGb(shown.allocation.vram_gb)} VRAM, {shown.allocation.cores} cores, {formatGb(shown.allocation.memory_gb)} memory
              </Row>
            )}
            <Row label="priority">{shown.priority}</Row>
            <Row label="timeout">{shown.timeout_seconds === null ? "—" : `${shown.timeout_seconds} s`}</Row>
            <Row label="created">{formatTime(shown.created_at)}</Row>
            <Row label="dispatched">{formatTime(shown.dispatched_at)}</Row>
            <Row label="started">{formatTime(shown.started_at ?? shown.result?.started_at ?? null)}</Row>
            <Row label="finished">
              {formatTime(shown.finished_at ?? shown.result?.finished_at ?? null)}
              {(() => {
                const took = formatDuration(shown.started_at ?? shown.result?.started_at ?? null, shown.finished_at ?? shown.result?.finished_at ?? null);
                return took === null ? "" : ` (took ${took})`;
              })()}
            </Row>
            <Row label="exit code">
              <span data-testid="work-exit-code">{shown.result?.exit_code ?? "—"}</span>
            </Row>
            {shown.result?.error == null ? null : (
              <Row label="error">
                <span data-testid="work-error">{shown.result.error}</span>
              </Row>
            )}
          </dl>
          <CancelButton work={shown} />
          <h4>output</h4>
          <pre data-testid="work-output" class="output">
            {shown.result?.output ?? ""}
          </pre>
        </>
      )}
    </section>
  );
};
