import { InvalidArgumentError, Option, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { createSandbox, type Sandbox } from "../sandbox/sandbox.ts";
import type { RankMethod } from "../verify/rank/methods.ts";
import type { Observed } from "../verify/rank/rank.ts";
import { escapeForTerminal } from "./render.ts";

const METHODS = ["codet", "mbr", "alphacode", "crucible"] as const;

interface RankOptions {
  readonly candidates?: string;
  readonly tests?: string;
  readonly dataset?: string;
  readonly entryPoint?: string;
  readonly codet?: string;
  readonly method: RankMethod;
  readonly generate: number;
  readonly tasks?: number;
  readonly json?: boolean;
  readonly cacheDir?: string;
}

function count(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/u.test(text.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what} takes a whole number, got ${JSON.stringify(text)}`);
    return n;
  };
}

/**
 * Adds `crucible rank`: groups candidate programs by behaviour on generated tests and shared inputs
 * and picks, by CodeT's dual agreement, MBR-exec, AlphaCode-style clustering or Crucible's
 * consensus. Two modes: files (`--candidates` + `--tests`, with `--dataset` or `--entry-point`),
 * and the CodeT pool (`--codet <dir>`), which also grades the picks on the official tests and
 * prints pass@1/2/10 for every method. Exit codes: 0 done, 2 bad usage or input, 3 no sandbox.
 */
export function registerRank(cli: Command): void {
  cli
    .command("rank")
    .description("rank candidate programs by how they behave on generated tests (CodeT, MBR-exec, AlphaCode-style, Crucible)")
    .option("--candidates <file>", "candidates JSONL: task_id with completion (needs --dataset) or solution (a whole program)")
    .option("--tests <file>", "generated tests JSONL: task_id with test (an assert statement) or completion (text after `assert `)")
    .option("--dataset <name|path>", "the benchmark the candidates' task ids and prompts come from")
    .option("--entry-point <name>", "the function candidates define, when there is no --dataset")
    .option("--codet <dir>", "dataset mode: rank the CodeT pool in <dir> (code_solutions, generated_tests) and grade the picks")
    .addOption(new Option("--method <name>", "how to rank").choices([...METHODS]).default("crucible"))
    .option("--generate <n>", "inputs Crucible generates per task from the tests' inputs", count("--generate"), 20)
    .option("--tasks <n>", "with --codet: only the first n problems", count("--tasks"))
    .option("--cache-dir <dir>", "cache for datasets and ground-truth results (default: $XDG_CACHE_HOME/crucible or ~/.cache/crucible)")
    .option("--json", "print the result as JSON on stdout")
    .action(async (opts: RankOptions) => {
      const sandbox = createSandbox();
      try {
        if (opts.codet !== undefined) await rankPool(sandbox, opts, opts.codet);
        else await rankFiles(sandbox, opts);
      } finally {
        await sandbox.close();
      }
    });
}

async function rankFiles(sandbox: Sandbox, opts: RankOptions): Promise<void> {
  if (opts.candidates === undefined || opts.tests === undefined) {
    throw new CrucibleError("invalid_argument", "crucible rank needs --candidates and --tests (or --codet <dir> for the CodeT pool)");
  }
  const { loadSamples, resolveDataset, sampleCode } = await import("../eval/datasets/index.ts");
  const { loadGeneratedTests } = await import("../eval/datasets/codet-tests.ts");
  const { cacheDirFrom } = await import("./eval.ts");
  const { extractTests } = await import("../verify/rank/extract.ts");
  const { observe, rankObserved } = await import("../verify/rank/rank.ts");
  const { mergeTies } = await import("../verify/rank/top-k.ts");
  const samples = await loadSamples(opts.candidates);
  const tests = await loadGeneratedTests(opts.tests);
  const dataset = opts.dataset === undefined ? null : await resolveDataset(opts.dataset, { cacheDir: cacheDirFrom(opts.cacheDir) });
  const taskIds = [...new Set(samples.map((s) => s.taskId))];
  const tasks = taskIds.map((id) => {
    const task = dataset?.tasks.find((t) => t.id === id);
    if (dataset && !task) throw new CrucibleError("invalid_argument", `task ${JSON.stringify(id)} of the candidates is not in ${dataset.name}`);
    const entryPoint = task?.entryPoint ?? opts.entryPoint;
    if (entryPoint === undefined) throw new CrucibleError("invalid_argument", "without --dataset, give --entry-point: the function the candidates define");
    const mine = samples.filter((s) => s.taskId === id);
    const programs = mine.map((s) => {
      if (task) return sampleCode(task, s);
      if (s.solution === undefined) throw new CrucibleError("invalid_argument", `sample ${s.completionId} of ${id} has only a completion; give --dataset for its prompt, or a whole program as "solution"`);
      return s.solution;
    });
    return { id, entryPoint, programs, sampleIds: mine.map((s) => s.completionId), given: tests.get(id) ?? { tests: [], completions: [] } };
  });
  const cut = await extractTests(
    sandbox,
    tasks.map((t) => ({ completions: t.given.completions, entryPoint: t.entryPoint })),
  );
  const observed = await observe(
    sandbox,
    tasks.map((t, i) => ({ programs: t.programs, tests: [...t.given.tests, ...cut[i]!.perCompletion.flat()], entryPoint: t.entryPoint })),
    { generate: opts.generate },
  );
  const out = tasks.map((t, i) => {
    const o = observed[i]!;
    const samplesOf = (d: number) => t.sampleIds.filter((_, s) => o.programOf[s] === d);
    const groups = mergeTies(rankObserved(o, opts.method)).map((g) => ({ score: g.score, samples: g.members.flatMap(samplesOf).sort((a, b) => a - b) }));
    return { task_id: t.id, method: opts.method, picked: groups[0]?.samples[0] ?? null, groups, ...summaryOf(o) };
  });
  if (opts.json) process.stdout.write(`${JSON.stringify({ tasks: out }, null, 2)}\n`);
  else {
    for (const r of out) {
      const top = r.groups[0];
      process.stdout.write(
        `${escapeForTerminal(r.task_id).padEnd(20)} ${r.picked === null ? "nothing ranked (no candidate passed a test)" : `pick sample ${r.picked} (group of ${top!.samples.length}, score ${top!.score.toFixed(2)})`} · ${r.programs} programs, ${r.tests} tests, ${r.inputs} inputs\n`,
      );
    }
  }
  process.exitCode = 0;
}

const summaryOf = (o: Observed) => ({ programs: o.programs.length, tests: o.tests.length, inputs: o.inputs.length });

async function rankPool(sandbox: Sandbox, opts: RankOptions, dir: string): Promise<void> {
  const { rankCodeTPool } = await import("../eval/datasets/codet-tests.ts");
  const { cacheDirFrom } = await import("./eval.ts");
  // One line per tenth of each phase: ranking thousands of programs takes a minute or more.
  const reported = new Map<string, number>();
  const result = await rankCodeTPool(sandbox, dir, {
    cacheDir: cacheDirFrom(opts.cacheDir),
    generate: opts.generate,
    ...(opts.tasks === undefined ? {} : { tasks: opts.tasks }),
    onProgress: (phase, done, total) => {
      const tenth = Math.floor((10 * done) / Math.max(1, total));
      if (tenth > (reported.get(phase) ?? -1)) {
        reported.set(phase, tenth);
        process.stderr.write(`crucible: ${phase} ${done}/${total}\n`);
      }
    },
  });
  if (opts.json) {
    const { observed: _observed, correct: _correct, ...summary } = result;
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const ks = Object.keys(result.table.random);
  const lines = [`${"method".padEnd(12)}${ks.map((k) => k.padStart(10)).join("")}`];
  for (const [name, row] of Object.entries(result.table)) lines.push(`${name.padEnd(12)}${ks.map((k) => `${((row as Record<string, number>)[k]! * 100).toFixed(2)}`.padStart(10)).join("")}`);
  lines.push("", `ranking computation ${(result.rankMs / 1000).toFixed(1)} s (${result.programs} programs × their tests and inputs, ${result.executions} executions)`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
