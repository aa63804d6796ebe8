import { useEffect, useState } from "preact/hooks";
import type { Session } from "../api/session.ts";
import { useLive } from "./hooks.ts";

const useNeedsToken = (session: Session): boolean => {
  const [needs, setNeeds] = useState(session.needsToken());
  useEffect(() => {
    setNeeds(session.needsToken());
    return session.subscribe(() => setNeeds(session.needsToken()));
  }, [session]);
  return needs;
};

/** Shown after a 401: the token is kept in localStorage and sent with every request from then on. */
export const TokenForm = () => {
  const live = useLive();
  const needs = useNeedsToken(live.session);
  const [token, setToken] = useState("");
  if (!needs) return null;
  return (
    <form
      class="token-form"
      data-testid="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim() === "") return;
        live.session.provideToken(token);
        setToken("");
      }}
    >
      <p>The orchestrator asks for its API token.</p>
      <label for="api-token">
        API token
        <input id="api-token" type="password" autocomplete="current-password" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </label>
      <button type="submit" data-testid="token-save">
        Save token
      </button>
    </form>
  );
};
