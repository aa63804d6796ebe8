import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` (run in libs/registry) writes the next migration
// into migrations/ from src/schema.ts. It needs no database connection.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./migrations"
});
