import { readFileSync } from "node:fs";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict } from "../../sandbox/verdict.ts";
import type { DiffProgram } from "./types.ts";

const PROFILE_PY = readFileSync(new URL("./guest/profile.py", import.meta.url), "utf8");

/** Variable (`function.name`) → the summaries of the values it took during one call. */
export type ValueProfile = ReadonlyMap<string, readonly string[]>;

/** A session's whole life may take this much CPU; each call has its own wall-time limit. */
const SESSION_CPU_MS = 600_000;

/**
 * One program of a differential test, loaded once in its own session. Python programs get the
 * call wrapper and value profiler (guest/profile.py) appended, so lazy results are compared by
 * their items and value profiles can be fetched after a batch; other languages are called directly.
 */
export class Side {
  readonly program: DiffProgram;
  readonly session: Session;
  /** Calls made so far. */
  calls = 0;
  private nextId = 0;

  private constructor(program: DiffProgram, session: Session) {
    this.program = program;
    this.session = session;
  }

  get profiled(): boolean {
    return this.program.language === "python";
  }

  /**
   * Loads the program. Resolves to the side, or to the reason it cannot be used (it did not load,
   * or it defines no callable named like the entry point).
   */
  static async open(sandbox: Sandbox, program: DiffProgram, loadTimeoutMs: number, signal?: AbortSignal): Promise<Side | { failed: string }> {
    const python = program.language === "python";
    const session = await sandbox.session({
      language: program.language,
      code: python ? `${program.code}\n${PROFILE_PY}` : program.code,
      limits: { wallTimeMs: loadTimeoutMs, cpuTimeMs: SESSION_CPU_MS },
      ...(signal ? { signal } : {}),
    });
    const loaded = session.loaded;
    if (loaded.status !== "ok") {
      await session.close();
      const why = loaded.exception ? `${loaded.exception.type}: ${loaded.exception.message}` : (loaded.reason ?? loaded.status);
      return { failed: `did not load (${loaded.status}): ${why}` };
    }
    if (python) {
      const check = await session.call("__crucible_diff_callable", [program.entryPoint], { timeoutMs: 5_000, ...(signal ? { signal } : {}) });
      if (check.status !== "ok" || check.value !== true) {
        await session.close();
        return { failed: `defines no function named ${program.entryPoint}` };
      }
    }
    return new Side(program, session);
  }

  /** Calls the entry point once per input; the result may be shorter than `inputs` (see Session.callMany). */
  async run(inputs: readonly (readonly Wire[])[], options: { timeoutMs: number; profile: boolean; signal?: AbortSignal }): Promise<{ verdicts: CallVerdict[]; ids: number[] }> {
    const signal = options.signal ? { signal: options.signal } : {};
    const ids = inputs.map(() => this.nextId++);
    const argsList = inputs.map((args, i) => {
      const wires = args.map((w) => new Encoded(w));
      return this.profiled ? [this.program.entryPoint, ids[i]!, options.profile, ...wires] : wires;
    });
    const entry = this.profiled ? "__crucible_diff_call" : this.program.entryPoint;
    const verdicts = await this.session.callMany(entry, argsList, { timeoutMs: options.timeoutMs, raw: true, ...signal });
    this.calls += verdicts.length;
    return { verdicts, ids };
  }

  /**
   * The value profiles recorded since the last take, by call id. Calls whose interpreter was
   * restarted (a timeout, a crash) have none. Guest output is hostile: anything malformed is dropped.
   */
  async takeProfiles(signal?: AbortSignal): Promise<Map<number, ValueProfile>> {
    const out = new Map<number, ValueProfile>();
    if (!this.profiled) return out;
    const v = await this.session.call("__crucible_diff_take", [], { timeoutMs: 5_000, ...(signal ? { signal } : {}) });
    if (v.status !== "ok" || v.value === null || typeof v.value !== "object") return out;
    for (const [id, profile] of Object.entries(v.value as Record<string, unknown>)) {
      if (profile === null || typeof profile !== "object" || !/^\d+$/u.test(id)) continue;
      const vars = new Map<string, readonly string[]>();
      for (const [name, values] of Object.entries(profile as Record<string, unknown>)) {
        if (Array.isArray(values)) vars.set(name, values.filter((x): x is string => typeof x === "string"));
      }
      out.set(Number(id), vars);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
