# The desktop agent image: the esbuild bundle (dist/apps/desktop-agent/main.mjs
# and its command worker, the files the system tests run) on a slim Node 20,
# as the unprivileged `node` user. Build from the repository root:
#   docker build -f docker/desktop-agent.Dockerfile -t homelab-agent .
# Run it with the config mounted and the broker URL in the environment:
#   docker run -d --restart unless-stopped -e AMQP_URL=amqp://... \
#     -v /etc/homelab/agent.yaml:/etc/homelab/agent.yaml:ro homelab-agent
# GPUs: NVIDIA needs the NVIDIA Container Toolkit on the host and `--gpus all`
# (it puts nvidia-smi and the driver libraries into the container; the agent
# reads the cards through nvidia-smi). AMD: `--device /dev/kfd --device /dev/dri`
# and rocm-smi installed in an image built FROM this one. Task programs run
# inside the container: install what your task kinds call in such an image.
# Not built on our CI machines (no Docker engine, no image pulls); see docker/README.md.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npx nx run desktop-agent:build --outputStyle=static

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist/apps/desktop-agent/ /app/
USER node
CMD ["node", "--enable-source-maps", "/app/main.mjs", "--config", "/etc/homelab/agent.yaml"]
