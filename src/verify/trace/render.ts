// Traces as text, LDB-style: each block with its code and the variable states after it; the same
// text serves a terminal and a debugging prompt. Guest values are shown as recorded (bounded reprs);
// escaping for a terminal is the caller's business.
import type { DivergenceResult, DivergentBlock } from "./diverge.ts";
import type { TraceBlock, TraceReport } from "./types.ts";

export interface RenderOptions {
  /** Blocks shown at most: the first half and the last half (LDB shows 5 + 5). Default: all recorded. */
  readonly maxBlocks?: number;
  /** Only blocks of this function (qualified name): a per-function view. */
  readonly function?: string;
}

function sourceLines(source: string): string[] {
  return source.split(/\r\n|\r|\n/u);
}

function stateText(state: Readonly<Record<string, string>>): string {
  const parts = Object.entries(state).map(([k, v]) => `${k} = ${v}`);
  return parts.length > 0 ? parts.join(" | ") : "(no variables)";
}

/** One block: its lines of code (the ones that ran marked `>`) and the state after it. */
export function renderBlock(block: TraceBlock, lines: readonly string[], label = `[BLOCK-${block.index}]`): string {
  const [first, last] = block.lines;
  const ran = new Set(block.executed);
  const out = [`${label} ${block.function}, lines ${first}-${last}${block.steps > 1 ? `, ${block.steps} steps` : ""}`];
  const shown = new Set<number>();
  for (let l = first; l <= last; l++) shown.add(l);
  for (const l of block.executed) shown.add(l);
  for (const l of [...shown].sort((x, y) => x - y)) out.push(`${ran.has(l) ? ">" : " "}${String(l).padStart(5)} | ${lines[l - 1] ?? ""}`);
  out.push(`      # ${stateText(block.state)}`);
  if (block.returned !== undefined) out.push(`      # returned ${block.returned}`);
  if (block.raised !== undefined) out.push(`      # raised ${block.raised}`);
  return out.join("\n");
}

/** How the call ended, in one line. */
export function summarizeTrace(r: TraceReport): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  const outcome =
    r.status === "ok"
      ? `returned ${r.calls[0]?.returned ?? "a value"}`
      : r.status === "exception"
        ? `raised ${r.exception?.type ?? "an exception"}: ${r.exception?.message ?? ""}`
        : r.status === "step_limit"
          ? "stopped at the step limit"
          : r.status === "time_limit"
            ? "stopped at the time limit"
            : `${r.status}${r.reason ? `: ${r.reason}` : ""}`;
  return `${r.entryPoint}: ${outcome} · ${plural(r.steps, "step")} · ${plural(r.blockCount, "block")} · ${plural(r.callCount, "call")} · ${r.callMs.toFixed(1)} ms`;
}

/** The whole trace: a summary line, then the blocks (with a marker where blocks were left out). */
export function renderTrace(r: TraceReport, options: RenderOptions = {}): string {
  const lines = sourceLines(r.source);
  const all = options.function === undefined ? r.blocks : r.blocks.filter((b) => b.function === options.function);
  const max = options.maxBlocks;
  const head = max !== undefined && all.length > max ? Math.ceil(max / 2) : all.length;
  const shown = head < all.length ? [...all.slice(0, head), ...all.slice(all.length - Math.floor(max! / 2))] : all;
  const out = [summarizeTrace(r)];
  let previous = -1;
  shown.forEach((b, i) => {
    if (i === head && head < all.length) out.push(`… ${all.length - shown.length} blocks not shown …`);
    else if (options.function === undefined && b.index > previous + 1) out.push(`… ${b.index - previous - 1} blocks left out of the trace …`);
    out.push(renderBlock(b, lines));
    previous = b.index;
  });
  return out.join("\n");
}

function place(block: DivergentBlock | null, source: string): string {
  if (!block) return "(no block)";
  const lines = sourceLines(source);
  const [first, last] = block.lines;
  const code = block.spans
    .flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, k) => s + k))
    .map((l) => `${String(l).padStart(6)} | ${lines[l - 1] ?? ""}`);
  return [`${block.function}, lines ${first}-${last}`, ...code].join("\n");
}

/** The first divergence between two traces, with the block of each version. */
export function renderDivergence(d: DivergenceResult, a: TraceReport, b: TraceReport, names: readonly [string, string] = ["a", "b"]): string {
  if (d.result === "same") return `no divergence: both runs took the same path with the same states (${d.compared} blocks)`;
  if (d.result === "undecided") return `no divergence in the ${d.compared} blocks recorded in both; undecided: ${d.reason}`;
  const v = d.divergence;
  const what = {
    state: "the same block left different variable states",
    call: "the same block made a different call",
    path: "the same block was followed by different blocks (a branch went the other way)",
    end: "one run ended where the other went on",
  }[v.kind];
  const out = [`first divergence at block ${v.index} (${v.kind}): ${what}`, `in ${names[0]}: ${place(v.a, a.source)}`, `in ${names[1]}: ${place(v.b, b.source)}`];
  for (const x of v.variables) out.push(`  ${x.name}: ${x.a ?? "(unset)"}  vs  ${x.b ?? "(unset)"}`);
  if (v.next) {
    const next = (t: DivergentBlock | null) => (t ? `${t.function}, lines ${t.lines[0]}-${t.lines[1]}` : "(ended)");
    out.push(`  next in ${names[0]}: ${next(v.next.a)}`, `  next in ${names[1]}: ${next(v.next.b)}`);
  }
  return out.join("\n");
}
