// A sandbox that times what passes through it: every run, session load, batched call, comparator
// call and session close, with the guest's own times from the verdicts. The grading benchmark
// hands it to `evaluate()` in place of the real sandbox, to say where the time of a grading goes
// without changing how it grades.
import type { CallOptions, CallVerdict, RunRequest, Sandbox, Session, SessionRequest, Verdict } from "../src/sandbox/index.ts";

/** Time the host spent waiting for one kind of operation, summed over operations. */
export interface Tally {
  count: number;
  hostMs: number;
}

/** What went through the sandbox during one phase of a grading. */
export interface PhaseTally {
  /** Whole programs (`sandbox.run`): human-eval checks. */
  readonly runs: Tally & { cpuMs: number; guestWallMs: number };
  /** Runs that ran out of time, and the CPU they burnt meanwhile (a spinning loop burns all of it). */
  readonly timeouts: Tally & { cpuMs: number; guestWallMs: number };
  /** Opening a session: taking a warm interpreter and loading the code into it. */
  readonly opens: Tally;
  /** `callMany` round trips (`count`) and the calls they carried (`calls`). */
  readonly batches: Tally & { calls: number; inFunctionMs: number; timedOutCalls: number; failedCalls: number };
  /** Comparator calls: candidate outputs compared with the expected ones in the trusted session. */
  readonly compares: Tally;
  readonly closes: Tally;
  /** Host time by entry point (runs: the function `check` is called on). */
  readonly byEntry: Map<string, Tally & { inFunctionMs: number }>;
}

/** An empty tally. */
export function phaseTally(): PhaseTally {
  const t = () => ({ count: 0, hostMs: 0 });
  return {
    runs: { ...t(), cpuMs: 0, guestWallMs: 0 },
    timeouts: { ...t(), cpuMs: 0, guestWallMs: 0 },
    opens: t(),
    batches: { ...t(), calls: 0, inFunctionMs: 0, timedOutCalls: 0, failedCalls: 0 },
    compares: t(),
    closes: t(),
    byEntry: new Map(),
  };
}

/** The comparator's entry point (src/verify/guest/compare.py). */
const COMPARE_ENTRY = "compare";

/** Wraps a sandbox; `phase` names where what follows is counted. Delegates everything unchanged. */
export class ProbeSandbox implements Sandbox {
  readonly phases = new Map<string, PhaseTally>();
  phase = "grading";
  private readonly inner: Sandbox;

  constructor(inner: Sandbox) {
    this.inner = inner;
  }

  get host() {
    return this.inner.host;
  }
  get limits() {
    return this.inner.limits;
  }
  get poolSize() {
    return this.inner.poolSize;
  }

  tally(phase = this.phase): PhaseTally {
    let t = this.phases.get(phase);
    if (!t) this.phases.set(phase, (t = phaseTally()));
    return t;
  }

  async run(request: RunRequest): Promise<Verdict> {
    const t0 = performance.now();
    const v = await this.inner.run(request);
    const hostMs = performance.now() - t0;
    const t = this.tally();
    add(t.runs, hostMs);
    t.runs.cpuMs += v.cpuMs;
    t.runs.guestWallMs += v.wallMs;
    if (v.status === "timeout") {
      add(t.timeouts, hostMs);
      t.timeouts.cpuMs += v.cpuMs;
      t.timeouts.guestWallMs += v.wallMs;
    }
    const entry = /check\((\w+)\)\s*$/.exec(request.code)?.[1] ?? "?";
    addEntry(t, entry, hostMs, 0);
    return v;
  }

  async session(request: SessionRequest): Promise<Session> {
    const t0 = performance.now();
    const inner = await this.inner.session(request);
    add(this.tally().opens, performance.now() - t0);
    return this.wrap(inner);
  }

  warm(languages?: Parameters<Sandbox["warm"]>[0]): Promise<void> {
    return this.inner.warm(languages);
  }

  stats() {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private wrap(inner: Session): Session {
    return {
      language: inner.language,
      loaded: inner.loaded,
      call: async (entry: string, args?: readonly unknown[], options?: CallOptions): Promise<CallVerdict> => {
        const t0 = performance.now();
        const v = await inner.call(entry, args, options);
        const hostMs = performance.now() - t0;
        const t = this.tally();
        if (entry === COMPARE_ENTRY) add(t.compares, hostMs);
        else addEntry(t, entry, hostMs, v.callMs ?? 0);
        return v;
      },
      callMany: async (entry, argsList, options) => {
        const t0 = performance.now();
        const verdicts = await inner.callMany(entry, argsList, options);
        const hostMs = performance.now() - t0;
        const t = this.tally();
        add(t.batches, hostMs);
        t.batches.calls += verdicts.length;
        let inFunctionMs = 0;
        for (const v of verdicts) {
          inFunctionMs += v.callMs ?? 0;
          if (v.status === "timeout") t.batches.timedOutCalls++;
          else if (v.status !== "ok") t.batches.failedCalls++;
        }
        t.batches.inFunctionMs += inFunctionMs;
        addEntry(t, entry, hostMs, inFunctionMs);
        return verdicts;
      },
      exec: (code, options) => inner.exec(code, options),
      close: async () => {
        const t0 = performance.now();
        await inner.close();
        add(this.tally().closes, performance.now() - t0);
      },
    };
  }
}

/** The sum of several tallies (the same phase of several gradings). */
export function mergeTallies(tallies: readonly PhaseTally[]): PhaseTally {
  const m = phaseTally();
  for (const t of tallies) {
    for (const key of ["runs", "timeouts", "opens", "batches", "compares", "closes"] as const) {
      const into = m[key] as unknown as Record<string, number>;
      for (const [k, v] of Object.entries(t[key] as unknown as Record<string, number>)) into[k] = (into[k] ?? 0) + v;
    }
    for (const [entry, e] of t.byEntry) {
      const into = m.byEntry.get(entry) ?? { count: 0, hostMs: 0, inFunctionMs: 0 };
      m.byEntry.set(entry, { count: into.count + e.count, hostMs: into.hostMs + e.hostMs, inFunctionMs: into.inFunctionMs + e.inFunctionMs });
    }
  }
  return m;
}

function add(t: Tally, hostMs: number): void {
  t.count++;
  t.hostMs += hostMs;
}

function addEntry(t: PhaseTally, entry: string, hostMs: number, inFunctionMs: number): void {
  const e = t.byEntry.get(entry) ?? { count: 0, hostMs: 0, inFunctionMs: 0 };
  add(e, hostMs);
  e.inFunctionMs += inFunctionMs;
  t.byEntry.set(entry, e);
}
