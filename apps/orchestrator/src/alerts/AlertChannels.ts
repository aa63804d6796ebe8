import { Context, Layer } from "effect";
import type { AlertSettings } from "./types.ts";

/** The alert settings the HTTP API needs (POST /alerts/test, GET /alerts): the configured channels. */
export class AlertChannels extends Context.Service<AlertChannels, AlertSettings>()("@homelab/orchestrator/AlertChannels") {
  static readonly layer = (settings: AlertSettings): Layer.Layer<AlertChannels> => Layer.succeed(AlertChannels, settings);
}

/** Alerting with nothing configured: no channel, no rule, the default flap window (alerts are still recorded for GET /alerts). */
export const NO_ALERT_CHANNELS: AlertSettings = {
  channels: [],
  rules: [],
  notifyStopped: false,
  flapTransitions: 3,
  flapWindowSeconds: 600,
  quiet: [],
  gpuErrorSeconds: 300,
  workFailedKinds: [],
  queueWaitSeconds: null,
  outageSeconds: 60
};
