import type { Agent } from "../api/types.ts";
import { useAction } from "../ui/useAction.ts";

/** Drain (no new work) or Resume, for an online agent; the server's refusal shows beside the button. */
export const AgentActions = ({ agent }: { readonly agent: Agent }) => {
  const action = useAction();
  if (agent.status !== "online") return null;
  // `drained` is what the API set; an agent draining on its own report cannot be resumed from here.
  const verb = agent.drained ? "resume" : "drain";
  const path = `/agents/${encodeURIComponent(agent.agent_id)}/${verb}`;
  return (
    <div class="actions">
      <button
        type="button"
        data-testid={verb}
        disabled={action.pending}
        aria-label={`${verb === "drain" ? "Drain" : "Resume"} ${agent.agent_id}`}
        onClick={() => void action.run("POST", path)}
      >
        {verb === "drain" ? "Drain" : "Resume"}
      </button>
      {action.error === null ? null : (
        <span class="error" role="alert" data-testid="action-error">
          {action.error}
        </span>
      )}
    </div>
  );
};
