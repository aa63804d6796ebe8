import { ageSeconds, formatAge } from "../format.ts";
import { useServerNow } from "../ui/hooks.ts";

/** "12 s ago", counting live: the only part of a card the one-second tick re-renders. */
export const Age = ({ at }: { readonly at: string }) => {
  const seconds = ageSeconds(at, useServerNow());
  if (seconds === null) return <span data-testid="heartbeat-age">—</span>;
  return (
    <span data-testid="heartbeat-age" data-value={Math.max(0, Math.floor(seconds))}>
      {formatAge(seconds)}
    </span>
  );
};
