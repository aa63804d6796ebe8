/**
 * Linux /proc readings for the benchmarks: resident memory of one process,
 * CPU time of groups of processes (by pid or by command name) over a window,
 * and the machine's busy share. Reading other users' /proc/<pid>/stat is
 * allowed; nothing here writes anything.
 */
import { execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

export const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** VmRSS of a process in kB; undefined once it is gone (or a zombie). */
export const rssKb = async (pid: number): Promise<number | undefined> => {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return rss === undefined ? undefined : Number(rss);
  } catch {
    return undefined;
  }
};

/** VmRSS (resident now) and VmHWM (the most it was ever resident) of a process in kB; undefined once it is gone. */
export const memoryKb = async (pid: number): Promise<{ readonly rss: number; readonly hwm: number } | undefined> => {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return rss === undefined || hwm === undefined ? undefined : { rss: Number(rss), hwm: Number(hwm) };
  } catch {
    return undefined;
  }
};

interface PidStat {
  /** utime + stime, clock ticks. */
  readonly ticks: number;
  /** Start time after boot, clock ticks. */
  readonly startTicks: number;
}

const pidStat = async (pid: number): Promise<PidStat | undefined> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const field = (n: number) => Number(fields[n - 3]); // fields[0] is field 3 (state)
    return { ticks: field(14) + field(15), startTicks: field(22) };
  } catch {
    return undefined;
  }
};

/** CPU time (user + system) this process has used so far, in ms. */
export const ownCpuMs = async (): Promise<number> => {
  const stat = await pidStat(process.pid);
  return stat === undefined ? Number.NaN : (stat.ticks * 1000) / clockTicks;
};

/** Pids whose /proc/<pid>/comm equals one of `names`, grouped by name. */
export const pidsByComm = async (names: ReadonlyArray<string>): Promise<Map<string, Array<number>>> => {
  const out = new Map<string, Array<number>>(names.map((n) => [n, []]));
  const entries = await readdir("/proc").catch(() => [] as Array<string>);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const comm = (await readFile(`/proc/${e}/comm`, "utf8").catch(() => "")).trim();
        out.get(comm)?.push(Number(e));
      })
  );
  return out;
};

const uptimeTicks = async (): Promise<number> => {
  const text = await readFile("/proc/uptime", "utf8");
  return Number(text.split(" ")[0]) * clockTicks;
};

/** Busy and total jiffies of the whole machine (all cores) from /proc/stat, with the busy time split by kind. */
const machineTicks = async (): Promise<{ busy: number; total: number; user: number; system: number; irq: number; steal: number }> => {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const at = (i: number) => v[i] ?? 0;
  const total = v.reduce((s, x) => s + x, 0);
  const idle = at(3) + at(4); // idle + iowait
  return { busy: total - idle, total, user: at(0) + at(1), system: at(2), irq: at(5) + at(6), steal: at(7) };
};

/**
 * A group of processes: fixed pids, or every process whose comm is `comm`
 * (seen at any sample), optionally only those whose command line (the
 * process title, for PostgreSQL backends: "postgres: … <database> …")
 * passes `cmdline`.
 */
export interface CpuGroup {
  readonly label: string;
  readonly pids?: ReadonlyArray<number>;
  readonly comm?: string;
  readonly cmdline?: (cmdline: string) => boolean;
}

const cmdlineOf = async (pid: number): Promise<string> =>
  (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ").trim();

/** PostgreSQL split into the backends serving `database` and everything else (server processes, other databases). */
export const postgresGroups = (database: string): Array<CpuGroup> => [
  { label: `postgres: backends of ${database}`, comm: "postgres", cmdline: (c) => c.includes(` ${database} `) },
  { label: "postgres: other (server processes, other databases)", comm: "postgres", cmdline: (c) => !c.includes(` ${database} `) }
];

export interface CpuReport {
  readonly seconds: number;
  /** CPU seconds of the whole machine (all cores) over the window: busy share × cores × seconds. */
  readonly machineCpuSeconds: number;
  /** The machine's busy time split into user / system / (soft)irq / steal, CPU seconds. */
  readonly machineSplit: { readonly user: number; readonly system: number; readonly irq: number; readonly steal: number };
  readonly groups: ReadonlyArray<{ readonly label: string; readonly cpuSeconds: number; readonly processes: number }>;
  /** Share of all cores busy over the window, 0..1. */
  readonly machineBusy: number;
  readonly cores: number;
}

/**
 * CPU seconds per group between `start()` and `stop()`. Call `sample()`
 * periodically in between so processes that appear meanwhile (database
 * backends) are seen; one that started after the window began counts from 0.
 */
/** The machine's busy share (0..1, all cores) over `ms` milliseconds, measured now. */
export const machineBusyNow = async (ms: number): Promise<number> => {
  const a = await machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await machineTicks();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : Number.NaN;
};

/** The processes using the most CPU over `ms` milliseconds: [pid, comm + args (shortened), share of one core]. */
export const topProcesses = async (ms: number, count: number): Promise<Array<{ pid: number; command: string; share: number }>> => {
  const read = async () => {
    const entries = (await readdir("/proc").catch(() => [] as Array<string>)).filter((e) => /^\d+$/.test(e));
    const out = new Map<number, number>();
    await Promise.all(
      entries.map(async (e) => {
        const s = await pidStat(Number(e));
        if (s !== undefined) out.set(Number(e), s.ticks);
      })
    );
    return out;
  };
  const a = await read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await read();
  const rows = [...b].map(([pid, ticks]) => ({ pid, share: (ticks - (a.get(pid) ?? ticks)) / clockTicks / (ms / 1000) }));
  rows.sort((x, y) => y.share - x.share);
  return Promise.all(
    rows.slice(0, count).filter((r) => r.share > 0).map(async (r) => ({ ...r, command: (await cmdlineOf(r.pid)).slice(0, 100) }))
  );
};

export const cpuWindow = (groups: ReadonlyArray<CpuGroup>) => {
  const first = new Map<string, Map<number, number>>();
  const last = new Map<string, Map<number, number>>();
  let startUptime = 0;
  let startMachine = { busy: 0, total: 0, user: 0, system: 0, irq: 0, steal: 0 };
  let startedAt = 0;
  const comms = groups.flatMap((g) => (g.comm === undefined ? [] : [g.comm]));

  const sample = async (): Promise<void> => {
    const byComm = comms.length > 0 ? await pidsByComm(comms) : new Map<string, Array<number>>();
    await Promise.all(
      groups.map(async (g) => {
        let pids = [...(g.pids ?? []), ...(g.comm === undefined ? [] : (byComm.get(g.comm) ?? []))];
        const filter = g.cmdline;
        if (filter !== undefined) {
          const kept = await Promise.all(pids.map(async (pid) => (filter(await cmdlineOf(pid)) ? pid : undefined)));
          pids = kept.filter((pid): pid is number => pid !== undefined);
        }
        const f = first.get(g.label) ?? new Map<number, number>();
        const l = last.get(g.label) ?? new Map<number, number>();
        first.set(g.label, f);
        last.set(g.label, l);
        await Promise.all(
          pids.map(async (pid) => {
            const s = await pidStat(pid);
            if (s === undefined) return;
            if (!f.has(pid)) f.set(pid, s.startTicks > startUptime ? 0 : s.ticks);
            l.set(pid, s.ticks);
          })
        );
      })
    );
  };

  return {
    start: async (): Promise<void> => {
      first.clear();
      last.clear();
      startUptime = await uptimeTicks();
      startMachine = await machineTicks();
      startedAt = Date.now();
      await sample();
    },
    sample,
    stop: async (): Promise<CpuReport> => {
      await sample();
      const endMachine = await machineTicks();
      const seconds = (Date.now() - startedAt) / 1000;
      const report = groups.map((g) => {
        const f = first.get(g.label) ?? new Map<number, number>();
        const l = last.get(g.label) ?? new Map<number, number>();
        let ticks = 0;
        for (const [pid, end] of l) ticks += end - (f.get(pid) ?? end);
        return { label: g.label, cpuSeconds: ticks / clockTicks, processes: l.size };
      });
      const total = endMachine.total - startMachine.total;
      const cores = (await readFile("/proc/cpuinfo", "utf8")).split("\n").filter((l) => l.startsWith("processor")).length;
      const machineBusy = total > 0 ? (endMachine.busy - startMachine.busy) / total : Number.NaN;
      const toSeconds = (ticks: number) => (total > 0 ? (ticks / total) * cores * seconds : Number.NaN);
      return {
        seconds,
        machineCpuSeconds: machineBusy * cores * seconds,
        machineSplit: {
          user: toSeconds(endMachine.user - startMachine.user),
          system: toSeconds(endMachine.system - startMachine.system),
          irq: toSeconds(endMachine.irq - startMachine.irq),
          steal: toSeconds(endMachine.steal - startMachine.steal)
        },
        groups: report,
        machineBusy,
        cores
      };
    }
  };
};
