// Tool library search benchmark (`npm run bench:library`): builds a library of 10,000 synthetic but
// realistic tools in a SQLite file (and, when PostgreSQL's server is installed, in a throwaway
// PostgreSQL server), then times search queries of every kind: words, prefixes, signatures,
// signatures with words, and misses. Goal: p95 <= 10 ms on SQLite. Writes its section of
// docs/benchmarks.md.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { getPriority, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, findPostgresBin } from "../test/support/postgres.ts";
import { openToolStore } from "../src/library/store/open.ts";
import type { ToolStore } from "../src/library/store/store.ts";
import { benchHost } from "./baselines.ts";
import { describeMachine, machineFacts, type Machine } from "./machine.ts";
import { foreignShareOf, percentiles, startMeter } from "./measure.ts";
import { sampleRecord, syntheticSpec } from "./library-data.ts";
import { DISTURBED_SHARE, ms, table, writeSection, type Markers } from "./report.ts";

const TOOLS = Number(process.env["BENCH_LIBRARY_TOOLS"] ?? 10_000);
const ROUNDS = 10;
const GOAL_P95_MS = 10;
const RAISED_PRIORITY = -10;
const DOC = join(import.meta.dirname, "..", "docs", "benchmarks.md");
const MARKERS: Markers = { start: "<!-- bench:library:start -->", end: "<!-- bench:library:end -->" };

/** Queries by kind; words come from the generator's vocabulary, so most of them hit. */
const QUERIES: Readonly<Record<string, readonly string[]>> = {
  "one word": ["sort", "palindromes", "matrix", "temperatures", "dedupe", "histogram", "roman", "coordinates", "anagrams", "emails"],
  "two or three words": ["sort list", "merge intervals", "count vowels", "parse dates stable", "largest primes", "normalize scores weighted", "split string unique", "flatten nested tree", "rotate matrix", "encode bits fast"],
  "prefix (typing)": ["palin", "temper", "normaliz", "coordi", "histog", "anagr", "transp", "bracke", "fractio", "timest"],
  signature: ["(list[int]) -> int", "(str) -> bool", "(list[float]) -> float", "(xs: number[]) => number", "(list[int], int) -> list[int]", "(list[str]) -> dict[str, int]", "(int) -> bool", "(str) -> _", "_ -> list[list[int]]", "(s: string) => string[]"],
  "signature + words": ["sort (list[int]) -> list[int]", "palindromes (str) -> bool", "average (list[float]) -> float", "count words (list[str]) -> dict[str, int]", "primes (int) -> bool", "rotate (list[list[int]]) -> list[list[int]]", "trim (str) -> str", "chunk (list[int], int) -> list[int]", "split (str) -> list[str]", "sum (list[int]) -> int"],
  miss: ["zyzzyva", "quantum chromodynamics", "xylophone orchestra", "(bytes) -> bytes", "kubernetes"],
};

const log = (m: string) => process.stderr.write(`bench:library: ${m}\n`);

interface Phase {
  /** Whether the searches ran at the raised priority (nice RAISED_PRIORITY). */
  readonly raised: boolean;
  readonly backend: string;
  readonly buildSeconds: number;
  readonly sizeBytes: number | null;
  readonly byKind: Record<string, { p50: number; p95: number; p99: number; n: number; meanHits: number }>;
  readonly all: { p50: number; p95: number; p99: number; n: number };
  /** CPU time this process spent per search (for SQLite, all of the work; immune to waiting for a core). */
  readonly cpu: { p50: number; p95: number; p99: number };
  readonly foreignShare: number;
}

async function build(store: ToolStore): Promise<number> {
  const t0 = performance.now();
  const batch = 500;
  for (let i = 0; i < TOOLS; i += batch) {
    const entries = Array.from({ length: Math.min(batch, TOOLS - i) }, (_, j) => ({ spec: syntheticSpec(i + j), verification: sampleRecord(j % 20 === 0 ? "flagged" : "verified") }));
    await store.putMany(entries);
  }
  return (performance.now() - t0) / 1000;
}

async function measure(backend: string, store: ToolStore, sizeOf: () => number | null): Promise<Phase> {
  log(`${backend}: building ${TOOLS} tools`);
  const buildSeconds = await build(store);
  log(`${backend}: built in ${buildSeconds.toFixed(1)} s; searching`);
  // Warm-up: caches, prepared statements, the planner.
  for (const list of Object.values(QUERIES)) for (const q of list) await store.search(q);
  // On a machine shared with other sessions, a search mostly waits for a core. The timed loop runs
  // at a raised priority (when allowed) so the figures say what a search costs, not how busy the
  // neighbours are; the section reports the priority and the other processes' share either way.
  const priorityBefore = getPriority();
  let raised = false;
  try {
    setPriority(RAISED_PRIORITY);
    raised = true;
  } catch {
    log("cannot raise this process's priority (not root): timing at normal priority");
  }
  const meter = startMeter();
  const byKind: Phase["byKind"] = {};
  const all: number[] = [];
  const cpu: number[] = [];
  for (const [kind, list] of Object.entries(QUERIES)) {
    const times: number[] = [];
    let hits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const q of list) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const result = await store.search(q, { limit: 10 });
        times.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
        hits += result.length;
      }
    }
    all.push(...times);
    byKind[kind] = { ...percentiles(times), n: times.length, meanHits: hits / times.length };
  }
  const reading = meter();
  if (raised) setPriority(priorityBefore);
  return { raised, backend, buildSeconds, sizeBytes: sizeOf(), byKind, all: { ...percentiles(all), n: all.length }, cpu: percentiles(cpu), foreignShare: foreignShareOf(reading) };
}

function render(phases: readonly Phase[], machine: Machine, date: string): string {
  const sqlite = phases[0]!;
  const rows = Object.keys(QUERIES).map((kind) => [kind, ...phases.flatMap((p) => [ms(p.byKind[kind]!.p50), ms(p.byKind[kind]!.p95)]), sqlite.byKind[kind]!.meanHits.toFixed(1)]);
  rows.push(["**all queries**", ...phases.flatMap((p) => [`**${ms(p.all.p50)}**`, `**${ms(p.all.p95)}**`]), ""]);
  rows.push(["all queries, CPU time of this process", ...phases.flatMap((p) => [ms(p.cpu.p50), ms(p.cpu.p95)]), ""]);
  const headers = ["query kind", ...phases.flatMap((p) => [`${p.backend} p50 ms`, `${p.backend} p95 ms`]), "hits (of 10)"];
  const met = sqlite.all.p95 <= GOAL_P95_MS;
  const disturbed = phases.some((p) => p.foreignShare > DISTURBED_SHARE);
  return [
    MARKERS.start,
    "## Tool library search",
    "",
    `Command: \`npm run bench:library\` (\`bench/library.ts\`), ${date}. ${TOOLS.toLocaleString("en")} synthetic tools (names, descriptions, ` +
      "docstrings and tasks drawn from word lists; ten signature shapes; one in twenty flagged), admitted in batches of 500; " +
      `then ${sqlite.all.n} searches (limit 10, verified latest versions) per backend: ${ROUNDS} rounds of the queries in \`bench/library.ts\`, ` +
      "timed one at a time through the `ToolStore` API (query parsing, FTS5 bm25 or tsvector ts_rank, signature match, reading the hits). " +
      (sqlite.raised
        ? `The timed searches ran at nice ${RAISED_PRIORITY} (the PostgreSQL server itself at normal priority), so that on this shared machine they wait less for a core; the CPU-time row is the work itself.`
        : "The searches ran at normal priority."),
    "",
    describeMachine(machine),
    "",
    table(headers, rows),
    "",
    `**Goal p95 <= ${GOAL_P95_MS} ms on SQLite: ${met ? "met" : "NOT met"}** (${ms(sqlite.all.p95)} ms over all queries).` +
      (disturbed
        ? " Other processes used more than a tenth of the machine during the searches: the figures are disturbed (a search waiting for a core shows in wall time; the CPU-time row does not wait)."
        : ""),
    "",
    ...phases.map((p) => `- ${p.backend}: built in ${p.buildSeconds.toFixed(1)} s (${((p.buildSeconds * 1000) / TOOLS).toFixed(2)} ms per tool, one transaction per batch)` + (p.sizeBytes === null ? "" : `, database ${(p.sizeBytes / 2 ** 20).toFixed(1)} MiB`) + `; other processes used ${(100 * p.foreignShare).toFixed(0)}% of the machine while it searched.`),
    MARKERS.end,
  ].join("\n");
}

async function main(): Promise<void> {
  const machine = await machineFacts(benchHost(), 10, log);
  const dir = mkdtempSync(join(tmpdir(), "crucible-bench-library-"));
  const phases: Phase[] = [];
  try {
    const file = join(dir, "library.db");
    const sqlite = await openToolStore(file);
    try {
      phases.push(await measure("SQLite", sqlite, () => statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0)));
    } finally {
      await sqlite.close();
    }
    if (findPostgresBin() === null) log("PostgreSQL server binaries are missing (apt-get install postgresql): measuring SQLite only");
    else {
      const server = await startPostgres();
      try {
        const pg = await openToolStore(await server.createDatabase("bench"));
        try {
          phases.push(await measure("PostgreSQL", pg, () => null));
        } finally {
          await pg.close();
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const section = render(phases, machine, new Date().toISOString().slice(0, 10));
  writeSection(DOC, section, MARKERS);
  process.stdout.write(`${section}\n`);
}

await main();
