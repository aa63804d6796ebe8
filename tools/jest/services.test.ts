// @ts-expect-error -- plain CommonJS module without type declarations
import * as services from "./services.cjs";

interface Resolved {
  databaseUrl: string;
  amqpUrl: string;
  sources: { database: string; amqp: string };
  containers: Array<unknown>;
}
type Deps = {
  reachable: (url: string, port: number) => Promise<boolean>;
  startContainer: (kind: string) => Promise<{ url: string; container: unknown }>;
};
const resolveServices = services.resolveServices as (env: Record<string, string | undefined>, deps?: Deps) => Promise<Resolved>;

const noContainers: Deps["startContainer"] = () =>
  Promise.reject(new Error("Could not find a working container runtime strategy"));

describe("test service resolution", () => {
  it("uses DATABASE_URL and AMQP_URL from the environment first, without probing", async () => {
    const probed: Array<string> = [];
    const resolved = await resolveServices(
      { DATABASE_URL: "postgres://db.example:5433/x", AMQP_URL: "amqp://mq.example" },
      { reachable: async (url) => (probed.push(url), true), startContainer: noContainers }
    );
    expect(resolved.databaseUrl).toBe("postgres://db.example:5433/x");
    expect(resolved.amqpUrl).toBe("amqp://mq.example");
    expect(resolved.sources).toEqual({ database: "env", amqp: "env" });
    expect(probed).toEqual([]);
  });

  it("falls back to the local services when they answer", async () => {
    const resolved = await resolveServices({}, { reachable: async () => true, startContainer: noContainers });
    expect(resolved.databaseUrl).toBe(services.DEFAULT_DATABASE_URL);
    expect(resolved.amqpUrl).toBe(services.DEFAULT_AMQP_URL);
    expect(resolved.sources).toEqual({ database: "local", amqp: "local" });
  });

  it("starts a testcontainers service when nothing local answers", async () => {
    const resolved = await resolveServices(
      { AMQP_URL: "amqp://set" },
      {
        reachable: async () => false,
        startContainer: async (kind) => ({ url: `${kind}://container`, container: { kind } })
      }
    );
    expect(resolved.databaseUrl).toBe("postgres://container");
    expect(resolved.sources).toEqual({ database: "testcontainers", amqp: "env" });
    expect(resolved.containers).toEqual([{ kind: "postgres" }]);
  });

  it("fails fast naming the variable to set when no service and no container runtime exist", async () => {
    await expect(
      resolveServices({ DATABASE_URL: "postgres://set" }, { reachable: async () => false, startContainer: noContainers })
    ).rejects.toThrow(
      /RabbitMQ for tests: AMQP_URL is not set, nothing answers at amqp:\/\/guest:guest@127\.0\.0\.1:5672, and testcontainers could not start one \(Could not find a working container runtime strategy\)\. Start RabbitMQ locally or set AMQP_URL\./
    );
  });

  it("finds the resolved PostgreSQL reachable and a closed port unreachable", async () => {
    await expect(services.reachable(process.env["DATABASE_URL"], 5432)).resolves.toBe(true);
    await expect(services.reachable("amqp://127.0.0.1:1", 5672)).resolves.toBe(false);
  });
});
