import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const projectRoot = fileURLToPath(new URL(".", import.meta.url));
const workspaceRoot = fileURLToPath(new URL("../../", import.meta.url));

// Served by the orchestrator at `/` on its own port: relative asset paths, no
// dev proxy needed in production, and nothing fetched from outside (no CDN).
export default defineConfig({
  root: projectRoot,
  base: "./",
  cacheDir: `${workspaceRoot}node_modules/.vite/dashboard`,
  publicDir: false,
  clearScreen: false,
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: `${workspaceRoot}dist/apps/dashboard`,
    emptyOutDir: true,
    sourcemap: true,
    // One small bundle: the preload polyfill would only add bytes.
    modulePreload: { polyfill: false }
  },
  server: {
    // `vite --config apps/dashboard/vite.config.ts` during development, against an orchestrator on :8080.
    proxy: Object.fromEntries(
      ["/events", "/agents", "/capacity", "/work"].map((path) => [path, { target: "http://127.0.0.1:8080", changeOrigin: false }])
    )
  }
});
