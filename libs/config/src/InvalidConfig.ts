import { Data, Runtime } from "effect";

/**
 * Start-up configuration is invalid: the process prints `message` as one line
 * and exits 78 (EX_CONFIG, which systemd's RestartPreventExitStatus can name)
 * without starting anything.
 */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = 78;
  override readonly [Runtime.errorReported] = false;
}
