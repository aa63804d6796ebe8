/** 1 GB on the wire = 1024³ bytes (SPEC §2). */
export const BYTES_PER_GB = 1024 ** 3;

/** Rounds to a fixed number of decimals (wire figures carry 3 for GB). */
export const round = (value: number, decimals = 3): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

export const bytesToGb = (bytes: number): number => round(bytes / BYTES_PER_GB);
