export { boundPort, httpLayer, type HttpOptions } from "./server.ts";
export { routes } from "./router.ts";
