# The orchestrator image: the esbuild bundle (the file the system tests run,
# dist/apps/orchestrator/main.mjs) on a slim Node 20, as the unprivileged
# `node` user. Build from the repository root:
#   docker build -f docker/orchestrator.Dockerfile -t homelab-orchestrator .
# Not built on our CI machines (no Docker engine, no image pulls); see docker/README.md.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npx nx run orchestrator:build --outputStyle=static

FROM node:20-bookworm-slim
ENV NODE_ENV=production HTTP_HOST=0.0.0.0 HTTP_PORT=8080 DATA_DIR=/data DASHBOARD_DIR=/app/dashboard
WORKDIR /app
# The bundle, its migrations and add-agent; PGlite stays outside the bundle (it loads its WASM from disk).
COPY --from=build /src/dist/apps/orchestrator/ /app/
# The dashboard's static files (orchestrator:build builds them), served at / on the same port.
COPY --from=build /src/dist/apps/dashboard/ /app/dashboard/
COPY --from=build /src/node_modules/@electric-sql/pglite/ /app/node_modules/@electric-sql/pglite/
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "/app/main.mjs"]
