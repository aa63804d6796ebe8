/**
 * @homelab/config — the one way both apps read their settings (SPEC §3):
 * `--config` / `<APP>_CONFIG`, env over file over defaults, unknown keys
 * refused with a suggestion, values quoted without secrets, one-line
 * InvalidConfig and exit 78; and how a process runs (log level, teardown).
 */
export { InvalidConfig } from "./InvalidConfig.ts";
export { configPathOf, invalid, readConfigFile } from "./configFile.ts";
export { describeLeaf, type FieldDoc, firstLeaf, quoteValue, type Redaction, valueAt } from "./issueText.ts";
export { type ConfigInput, type Derived, type EnvKind, loadSettings, type SettingsSpec } from "./load.ts";
export { LOG_LEVELS, type LogLevelName, runApp, withLogLevel } from "./process.ts";
export { causeText, closestKey, formatPath, redactUrl, renderValue } from "./wording.ts";
