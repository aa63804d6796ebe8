import { useLive, useStoreValue } from "./hooks.ts";

/** Small errors (malformed events and answers): the page carries on and says what it ignored. */
export const Notices = () => {
  const live = useLive();
  const notices = useStoreValue(live.notices);
  if (notices.length === 0) return null;
  return (
    <ul class="notices" data-testid="notices">
      {notices.map((n) => (
        <li key={n.id} class="notice" data-testid="notice">
          <span>
            {n.message}
            {n.count > 1 ? ` (×${n.count})` : ""}
          </span>
          <button type="button" class="small" aria-label="dismiss notice" onClick={() => live.dismissNotice(n.id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
};
