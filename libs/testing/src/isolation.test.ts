import { Effect } from "effect";
import postgres from "postgres";
import { Connection } from "rabbitmq-client";
import { runLive } from "./run.ts";
import { testDatabase } from "./database.ts";
import { testQueues } from "./queues.ts";
import { serviceUrls } from "./urls.ts";

const databaseExists = async (name: string): Promise<boolean> => {
  const sql = postgres(serviceUrls().databaseUrl, { max: 1 });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    return rows.length === 1;
  } finally {
    await sql.end();
  }
};

const withBroker = async <A>(f: (conn: Connection) => Promise<A>): Promise<A> => {
  const conn = new Connection({ url: serviceUrls().amqpUrl, noDelay: true });
  try {
    await conn.onConnect(5000);
    return await f(conn);
  } finally {
    await conn.close();
  }
};

describe("per-suite isolation on the real services", () => {
  it("gives a suite its own database, usable while the scope is open and dropped after", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const db = yield* testDatabase("iso");
        const value = yield* Effect.promise(async () => {
          const sql = postgres(db.url, { max: 1 });
          try {
            await sql`create table t (x int)`;
            await sql`insert into t values (42)`;
            const [row] = await sql<Array<{ x: number }>>`select x from t`;
            return row?.x;
          } finally {
            await sql.end();
          }
        });
        return { name: db.name, value, existedInside: yield* Effect.promise(() => databaseExists(db.name)) };
      })
    );
    expect(seen.value).toBe(42);
    expect(seen.existedInside).toBe(true);
    expect(seen.name).toMatch(/^iso_\d+_[0-9a-f]{8}$/);
    expect(await databaseExists(seen.name)).toBe(false);
  });

  it("hands out unique queue names and deletes those queues when the suite ends", async () => {
    const names = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const a = queues.name("orchestrator.replies");
        const b = queues.adopt(`agent.${queues.name("adopted")}.work`);
        yield* Effect.promise(() =>
          withBroker(async (conn) => {
            await conn.queueDeclare({ queue: a, durable: true });
            await conn.queueDeclare({ queue: b, durable: true });
          })
        );
        return [a, b] as const;
      })
    );
    expect(names[0]).not.toBe(names[1]);
    const stillThere = await withBroker(async (conn) =>
      Promise.all(
        names.map((queue) =>
          conn.queueDeclare({ queue, passive: true }).then(
            () => true,
            () => false
          )
        )
      )
    );
    expect(stillThere).toEqual([false, false]);
  });
});
