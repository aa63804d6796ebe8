import { fileURLToPath } from "node:url";

/**
 * libs/registry/migrations, found from this source file. Computed only when
 * asked for: in a bundle (esbuild into dist/) `import.meta.url` names the
 * bundle, so a bundled app passes `migrationsFolder` and never calls this.
 */
export const defaultMigrationsFolder = (): string => fileURLToPath(new URL("../migrations", import.meta.url));

/** Advisory lock keys (one bigint namespace per database): orchestrators starting together migrate one at a time. */
export const MIGRATION_LOCK_KEY = 0x484c_4d49; // "HLMI"

/** The offline sweep runs in one orchestrator at a time (SPEC §5). */
export const SWEEP_LOCK_KEY = 0x484c_5357; // "HLSW"

/** Routing decisions are made one at a time across orchestrators, each seeing the bookings before it. */
export const ROUTE_LOCK_KEY = 0x484c_5254; // "HLRT"
