/**
 * Which cards of a long fleet are drawn in full. Building 500 cards took the
 * page 0.6–1.3 s after the snapshot arrived (≈ 30 elements each, and Preact's
 * diff of all of them); a card off screen costs that and shows nothing. So a
 * card is drawn when it comes near the view (within a screen of it, seen by an
 * IntersectionObserver) and stays drawn; until then it is a light stand-in of
 * about its height with the agent's id, so the list's length, the scroll bar
 * and the browser's find-in-page are those of the whole fleet.
 */

/** Cards drawn in full before anything is observed: more than a large screen holds. */
export const FIRST_SCREEN = 24;

/** How far outside the view a stand-in is drawn in full: one screen above and below. */
export const NEAR_MARGIN = "100% 0px 100% 0px";

/**
 * The drawn set with `ids` added: the same set when none is new (so nothing
 * renders again), otherwise a new one.
 */
export const withDrawn = (drawn: ReadonlySet<string>, ids: Iterable<string>): ReadonlySet<string> => {
  let next: Set<string> | undefined;
  for (const id of ids) {
    if (drawn.has(id) || next?.has(id) === true) continue;
    next ??= new Set(drawn);
    next.add(id);
  }
  return next ?? drawn;
};

/** Whether the card at `position` of the shown list is drawn in full. */
export const isDrawn = (drawn: ReadonlySet<string>, agentId: string, position: number): boolean =>
  position < FIRST_SCREEN || drawn.has(agentId);

/**
 * A stand-in's height in px, close to its card's (head, five facts, actions,
 * and a row per GPU or the "no GPU" line), so the scroll position barely moves
 * when it is drawn in full.
 */
export const standInHeight = (gpuCount: number): number => 236 + Math.max(1, gpuCount) * 44;
