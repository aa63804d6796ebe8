"use strict";
module.exports = async function globalTeardown() {
  const containers = globalThis.__HOMELAB_CONTAINERS__ ?? [];
  await Promise.all(containers.map((c) => c.stop()));
};
