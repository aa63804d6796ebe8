import { Option, Redacted } from "effect";
import { accessSummary, HttpAccess, hostOf, isLoopback } from "../src/http/auth.ts";

// Who counts as "this machine" when no API_TOKEN is set, and what host a
// Host header names. Requests from other addresses cannot be made in these
// tests (only loopback is reachable here), so the rule is checked as it is.

describe("HTTP access rules", () => {
  it("treats 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6, as loopback, and nothing else", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(address)).toBe(true);
    for (const address of ["192.168.1.20", "10.0.0.5", "::ffff:192.168.1.20", "fe80::1", "", "127.0.0.1.evil", "1127.0.0.1"]) {
      expect(isLoopback(address)).toBe(false);
    }
  });

  it("reads the host of a Host header without its port", () => {
    expect(hostOf("Fleet.LAN:8080")).toBe("fleet.lan");
    expect(hostOf("localhost")).toBe("localhost");
    expect(hostOf("[::1]:8080")).toBe("::1");
    expect(hostOf("127.0.0.1:80")).toBe("127.0.0.1");
  });

  it("says at start-up, in one line, who may do what", () => {
    expect(accessSummary(HttpAccess.open)).toBe(
      "no API_TOKEN: read-only for other machines, only this one (loopback) may submit work; set API_TOKEN to allow it from the LAN; /metrics is open; any Host header (set HTTP_ALLOWED_HOSTS to refuse others)"
    );
    const locked = { apiToken: Option.some(Redacted.make("t")), metricsToken: Option.some(Redacted.make("m")), allowedHosts: Option.some(["fleet.lan", "localhost"]) };
    expect(accessSummary(locked)).toBe(
      "API_TOKEN is set: every endpoint but /healthz, /readyz and /metrics needs it; /metrics needs METRICS_TOKEN; Host must be one of fleet.lan, localhost"
    );
  });
});
