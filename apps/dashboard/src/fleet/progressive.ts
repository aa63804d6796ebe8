/**
 * How many cards to draw in the next frame: a long fleet is drawn a chunk
 * per animation frame, so the first screenful is painted at once and the
 * page answers clicks while the rest is added (500 cards in one go kept the
 * main thread busy for ~300 ms). Never more than the list, never fewer than
 * a first chunk.
 */
export const FIRST_CHUNK = 48;
export const CHUNK = 64;

export const nextCount = (count: number, total: number): number =>
  Math.max(FIRST_CHUNK, count >= total ? count : Math.min(total, count + CHUNK));

/** True while some cards are still to be drawn. */
export const drawing = (count: number, total: number): boolean => count < total;
