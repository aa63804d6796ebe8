import { randomBytes } from "node:crypto";

/** A name no other suite (or earlier run) uses: prefix + pid + random hex. */
export const uniqueName = (prefix: string): string =>
  `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${process.pid}_${randomBytes(4).toString("hex")}`;
