import { useCallback, useState } from "preact/hooks";
import { anything } from "../api/http.ts";
import { useLive } from "./hooks.ts";

export interface Action {
  readonly pending: boolean;
  /** The server's `error` text of the last try, shown next to the button. */
  readonly error: string | null;
  run(method: "POST" | "DELETE", path: string): Promise<boolean>;
}

/** A write whose answer the live stream reflects anyway (drain, resume, cancel): only its error is shown here. */
export const useAction = (): Action => {
  const { api } = useLive();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (method: "POST" | "DELETE", path: string) => {
      setPending(true);
      setError(null);
      const result = await api.request(method, path, anything);
      setPending(false);
      if (!result.ok) setError(result.message);
      return result.ok;
    },
    [api]
  );
  return { pending, error, run };
};
