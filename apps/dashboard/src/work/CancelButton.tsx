import { CANCELLABLE_STATES, type Work } from "../api/types.ts";
import { useAction } from "../ui/useAction.ts";

/** Cancels a job that has not ended (`DELETE /work/:id`); a refusal (401, 403, 409) shows beside it. */
export const CancelButton = ({ work }: { readonly work: Pick<Work, "work_id" | "kind" | "state"> }) => {
  const action = useAction();
  if (!CANCELLABLE_STATES.includes(work.state)) return null;
  return (
    <span class="actions">
      <button
        type="button"
        data-testid="cancel-work"
        disabled={action.pending}
        aria-label={`Cancel ${work.kind} job ${work.work_id}`}
        onClick={(e) => {
          e.stopPropagation(); // not also "open" the row
          void action.run("DELETE", `/work/${encodeURIComponent(work.work_id)}`);
        }}
      >
        Cancel
      </button>
      {action.error === null ? null : (
        <span class="error" role="alert" data-testid="cancel-error">
          {action.error}
        </span>
      )}
    </span>
  );
};
