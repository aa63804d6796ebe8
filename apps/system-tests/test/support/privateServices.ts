// Private RabbitMQ and PostgreSQL instances for the destructive tests: their
// own node name / cluster, ports and data directories, so stopping them never
// touches the shared services on 5672 and 5432. The scope stops them and
// removes their data, whether the test passed or failed.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect, type Scope } from "effect";
import net from "node:net";
import { freePort } from "@homelab/testing";
import { eventually, within } from "./childProcess.ts";

export interface PrivateService {
  /** The URL a client connects with (amqp:// or postgres://). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (cleanly) and waits until it is gone; the data stays. */
  readonly stop: () => Promise<void>;
  /** Starts it again on the same port with the same data, and waits until it answers. */
  readonly start: () => Promise<void>;
  /** True while the server process runs. */
  readonly running: () => boolean;
}

const RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server";
/** The CLI itself: /usr/sbin/rabbitmqctl switches to the rabbitmq user and its HOME, whose Erlang cookie is not this node's. */
const RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl";

export interface PrivateBrokerOptions {
  /** Also listen for AMQP over TLS with this server certificate (clients' certificates verified when they send one). */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  /** Enable the management plugin (its HTTP API on a free port). */
  readonly management?: boolean;
}

export interface PrivateBroker extends PrivateService {
  /** The TLS listener's port (with `tls`). */
  readonly tlsPort: number | undefined;
  /** http://127.0.0.1:<port> of the management API (with `management`). */
  readonly managementUrl: string | undefined;
  /** The environment under which rabbitmqctl (RABBITMQCTL) manages this node: its HOME (Erlang cookie) and node name. */
  readonly ctlEnv: Readonly<Record<string, string>>;
}

/** Resolves once `child` has exited (at once if it already has). */
const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));

/**
 * True when the port speaks AMQP: it answers the protocol header with a
 * method frame (connection.start). A client library is not used here: an
 * rabbitmq-client Connection that never connected does not close.
 */
const amqpAnswers = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1")));
    socket.once("data", (d: Buffer) => done(d[0] === 1));
  });

/**
 * A RabbitMQ node of its own (node name `systest-…@localhost`, free AMQP and
 * distribution ports, no plugins, data under a temporary directory), run in
 * the foreground as a child process. Needs the Debian rabbitmq-server
 * package that every machine of ours has; `stop` is a clean SIGTERM shutdown,
 * so quorum queues and their messages survive a `start`.
 */
export const privateBroker = (options: PrivateBrokerOptions = {}): Effect.Effect<PrivateBroker, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (!existsSync(RABBITMQ_SERVER)) throw new Error(`${RABBITMQ_SERVER} is missing: the fault-injection tests need the rabbitmq-server package`);
        const dir = mkdtempSync(path.join(os.tmpdir(), "systest-rabbit-"));
        const port = await freePort();
        const distPort = await freePort();
        const tlsPort = options.tls === undefined ? undefined : await freePort();
        const managementPort = options.management === true ? await freePort() : undefined;
        writeFileSync(path.join(dir, "enabled_plugins"), managementPort === undefined ? "[].\n" : "[rabbitmq_management].\n");
        const conf = [`listeners.tcp.default = 127.0.0.1:${port}`, "loopback_users = none"];
        if (options.tls !== undefined) {
          conf.push(
            `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
            `ssl_options.cacertfile = ${options.tls.caFile}`,
            `ssl_options.certfile = ${options.tls.certFile}`,
            `ssl_options.keyfile = ${options.tls.keyFile}`,
            "ssl_options.verify = verify_peer",
            "ssl_options.fail_if_no_peer_cert = false"
          );
        }
        if (managementPort !== undefined) conf.push(`management.tcp.port = ${managementPort}`, "management.tcp.ip = 127.0.0.1");
        writeFileSync(path.join(dir, "rabbitmq.conf"), `${conf.join("\n")}\n`);
        writeFileSync(path.join(dir, "rabbitmq-env.conf"), "");
        const nodeName = `systest-${path.basename(dir).slice(-6).toLowerCase()}@localhost`;
        const env = {
          ...process.env,
          HOME: dir,
          RABBITMQ_NODENAME: nodeName,
          RABBITMQ_NODE_PORT: String(port),
          RABBITMQ_DIST_PORT: String(distPort),
          RABBITMQ_MNESIA_BASE: path.join(dir, "mnesia"),
          RABBITMQ_LOG_BASE: path.join(dir, "log"),
          RABBITMQ_CONFIG_FILE: path.join(dir, "rabbitmq.conf"),
          RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, "enabled_plugins"),
          RABBITMQ_CONF_ENV_FILE: path.join(dir, "rabbitmq-env.conf"),
          ERL_EPMD_ADDRESS: "127.0.0.1"
        };
        const url = `amqp://guest:guest@127.0.0.1:${port}`;
        let child: ChildProcess | undefined;
        let output = "";
        const start = async () => {
          output = "";
          const c = spawn(RABBITMQ_SERVER, [], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
          const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-4000));
          c.stdout?.on("data", keep);
          c.stderr?.on("data", keep);
          child = c;
          await eventually(
            `private RabbitMQ on ${port} accepting AMQP`,
            async () => {
              if (c.exitCode !== null) throw new Error(`rabbitmq-server exited with ${c.exitCode}: ${output}`);
              return amqpAnswers(port);
            },
            (ok) => ok,
            60_000,
            200
          );
          if (managementPort !== undefined) {
            await eventually(
              `private RabbitMQ management API on ${managementPort}`,
              () => fetch(`http://127.0.0.1:${managementPort}/api/overview`).then((r) => r.status, () => 0),
              (status) => status === 401 || status === 200,
              60_000,
              200
            );
          }
        };
        const stop = async () => {
          const c = child;
          if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
          c.kill("SIGTERM");
          if ((await within(exited(c), 30_000)) === "timed out") {
            c.kill("SIGKILL");
            await exited(c);
          }
        };
        await start();
        return {
          url,
          port,
          dir,
          start,
          stop,
          running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
          tlsPort,
          managementUrl: managementPort === undefined ? undefined : `http://127.0.0.1:${managementPort}`,
          ctlEnv: { RABBITMQCTL, HOME: dir, RABBITMQ_NODENAME: nodeName }
        };
      },
      catch: (e) => (e instanceof Error ? e : new Error(String(e)))
    }),
    (broker) =>
      Effect.promise(async () => {
        await broker.stop();
        rmSync(broker.dir, { recursive: true, force: true });
      })
  ).pipe(Effect.map(({ dir: _dir, ...broker }) => broker));

/** The newest PostgreSQL server binaries of the Debian packages (or PG_BINDIR). */
const postgresBinDir = (): string => {
  const fromEnv = process.env["PG_BINDIR"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL server binaries under ${root} (set PG_BINDIR): the fault-injection tests need initdb and pg_ctl`);
  return path.join(root, newest, "bin");
};

/**
 * A PostgreSQL cluster of its own (initdb into a temporary directory, a free
 * port, trust auth, fsync off), run with pg_ctl. PostgreSQL refuses to run as
 * root, so under root it runs as the `postgres` user, which owns the directory.
 */
export const privatePostgres = (): Effect.Effect<PrivateService, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const bin = postgresBinDir();
        const dir = mkdtempSync(path.join(os.tmpdir(), "systest-pg-"));
        const asRoot = process.getuid?.() === 0;
        if (asRoot) {
          const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
          const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
          chownSync(dir, uid, gid);
        }
        const run = (program: string, args: ReadonlyArray<string>) =>
          execFileSync(asRoot ? "runuser" : path.join(bin, program), asRoot ? ["-u", "postgres", "--", path.join(bin, program), ...args] : [...args], {
            cwd: dir,
            stdio: ["ignore", "pipe", "pipe"]
          });
        const data = path.join(dir, "data");
        const port = await freePort();
        run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`;
        let up = false;
        const start = async () => {
          run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "server.log"), "-w", "-t", "60", "start"]);
          up = true;
        };
        const stop = async () => {
          if (!up) return;
          run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
          up = false;
        };
        await start();
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, start, stop, running: () => up };
      },
      catch: (e) => (e instanceof Error ? e : new Error(String(e)))
    }),
    (pg) =>
      Effect.promise(async () => {
        await pg.stop().catch(() => undefined);
        rmSync(pg.dir, { recursive: true, force: true });
      })
  ).pipe(Effect.map(({ url, port, start, stop, running }) => ({ url, port, start, stop, running })));
