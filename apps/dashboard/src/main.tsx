import { render } from "preact";
import { App } from "./App.tsx";
import { createLive } from "./live.ts";
import "./styles.css";

const storage = (() => {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the token is kept for this page only
  }
})();

const live = createLive({
  fetch: (input, init) => fetch(input, init),
  storage,
  schedule: (flush) => requestAnimationFrame(flush),
  timers: {
    now: () => Date.now(),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (handle) => clearInterval(typeof handle === "number" ? handle : undefined)
  }
});

const root = document.getElementById("app");
if (root !== null) render(<App live={live} />, root);
