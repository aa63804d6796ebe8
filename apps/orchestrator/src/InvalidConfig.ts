import { Data, Runtime } from "effect";

/** Start-up configuration is invalid: one line naming the field, exit 78 (EX_CONFIG), nothing started. */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = 78;
  override readonly [Runtime.errorReported] = false;
}
