// Differential traces: where do two versions of a program, run on the same input, stop behaving
// alike? The two executed paths are walked in step (position by position, in the order blocks
// ended); two blocks at the same position are "the same place" when they belong to the same
// function and their lines correspond (line alignment of the two sources, see lines.ts), so an
// edited line does not by itself count as a difference: only behaviour does.
import { lineMap, type LineMap } from "./lines.ts";
import type { LineRange, TraceBlock, TraceCallRecord, TraceReport, TracedFunction } from "./types.ts";

/** A block of one version, where the divergence is placed. */
export interface DivergentBlock {
  readonly function: string;
  readonly block: number;
  /** First and last line of the static block. */
  readonly lines: LineRange;
  /** The line spans of the static block's statements (what "the block contains line n" means). */
  readonly spans: readonly LineRange[];
}

/** A variable whose value differs; `null` when the version has no such variable. */
export interface VariableDifference {
  readonly name: string;
  readonly a: string | null;
  readonly b: string | null;
}

/**
 * - `state`: the blocks ran in the same place and left different variable states (or returned or
 *   raised differently); `a`/`b` are those blocks.
 * - `call`: the same place made a call with different arguments, or only one version made it;
 *   `a`/`b` are the calling blocks.
 * - `path`: the same block was followed by different blocks: the branch at its end went different
 *   ways; `a`/`b` are that deciding block (null when the very first blocks differ), `next` the
 *   blocks that followed.
 * - `end`: one path ended where the other went on (with no other difference before).
 */
export type DivergenceKind = "state" | "call" | "path" | "end";

export interface Divergence {
  readonly kind: DivergenceKind;
  /** Position in the paths (blocks ended before the divergence). */
  readonly index: number;
  readonly a: DivergentBlock | null;
  readonly b: DivergentBlock | null;
  readonly variables: readonly VariableDifference[];
  /** For `path`: the blocks each version ran next (a missing or extra branch shows here). */
  readonly next?: { readonly a: DivergentBlock | null; readonly b: DivergentBlock | null };
  /** For `call`: the calls that differ. */
  readonly calls?: { readonly a: TraceCallRecord | null; readonly b: TraceCallRecord | null };
}

/**
 * `diverged`: the first divergence. `same`: every block and call agrees to the end of both paths.
 * `undecided`: they agree as far as both were recorded, but blocks were left out (caps) or a run
 * stopped before it ended; trace again with a larger `maxBlocks` or time limit.
 */
export type DivergenceResult =
  | { readonly result: "diverged"; readonly compared: number; readonly divergence: Divergence }
  | { readonly result: "same"; readonly compared: number }
  | { readonly result: "undecided"; readonly compared: number; readonly reason: string };

/** Blocks recorded in order from the start of the path (before the first left-out stretch). */
function recordedHead(report: TraceReport): number {
  let n = 0;
  while (n < report.blocks.length && report.blocks[n]!.index === n) n++;
  return n;
}

function callsByIndex(report: TraceReport): { byIndex: Map<number, TraceCallRecord[]>; head: number } {
  const byIndex = new Map<number, TraceCallRecord[]>();
  let contiguous = 0;
  while (contiguous < report.calls.length && report.calls[contiguous]!.id === contiguous) contiguous++;
  // Calls are complete up to the atIndex of the first call left out.
  const head = contiguous === report.callCount ? Infinity : (report.calls[contiguous - 1]?.atIndex ?? 0);
  for (const call of report.calls.slice(0, contiguous)) {
    const list = byIndex.get(call.atIndex) ?? [];
    list.push(call);
    byIndex.set(call.atIndex, list);
  }
  return { byIndex, head };
}

class Side {
  readonly report: TraceReport;
  readonly functions: Map<string, TracedFunction>;
  constructor(report: TraceReport) {
    this.report = report;
    this.functions = new Map(report.functions.map((f) => [f.qualname, f]));
  }

  /** The function's blocks as statement counts: equal shapes mean the same control flow. */
  shape(fn: string): string | undefined {
    return this.functions.get(fn)?.blocks.map((b) => b.lines.length).join(",");
  }

  spans(fn: string, block: number): readonly LineRange[] {
    return this.functions.get(fn)?.blocks.find((b) => b.id === block)?.lines ?? [];
  }

  place(fn: string, block: number, lines: LineRange | null, executed: readonly number[] = []): DivergentBlock {
    const spans = this.spans(fn, block);
    const range: LineRange = lines ?? (spans.length > 0 ? [Math.min(...spans.map((s) => s[0])), Math.max(...spans.map((s) => s[1]))] : [executed[0] ?? 0, executed.at(-1) ?? 0]);
    return { function: fn, block, lines: range, spans: spans.length > 0 ? spans : executed.map((l) => [l, l] as LineRange) };
  }

  ofBlock(b: TraceBlock): DivergentBlock {
    return this.place(b.function, b.block, b.lines, b.executed);
  }

}

/** The lines a block stands for: its static block's statement lines, else the lines it ran. */
function lineSet(b: DivergentBlock): number[] {
  return b.spans.flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, k) => s + k));
}

function stateOf(b: TraceBlock): Map<string, string> {
  const m = new Map(Object.entries(b.state));
  if (b.returned !== undefined) m.set("<return>", b.returned);
  if (b.raised !== undefined) m.set("<raise>", b.raised);
  return m;
}

function differences(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): VariableDifference[] {
  const names = [...new Set([...a.keys(), ...b.keys()])];
  return names.filter((n) => a.get(n) !== b.get(n)).map((n) => ({ name: n, a: a.get(n) ?? null, b: b.get(n) ?? null }));
}

/**
 * The first place where two traces of the same input stop agreeing: a block leaves a different
 * state, a call gets different arguments, the path takes a different branch, or one path ends.
 * `a` and `b` are usually two versions of one program (buggy and fixed); their sources may differ.
 * Values compare as their recorded reprs (see `TraceBlock`). A trace with no path (timeout, crash,
 * load error) gives `undecided`.
 */
export function firstDivergence(a: TraceReport, b: TraceReport): DivergenceResult {
  const noPath = statusReason(a, b, true);
  if (noPath !== null) return { result: "undecided", compared: 0, reason: noPath };
  const map = lineMap(a.source, b.source);
  const sa = new Side(a);
  const sb = new Side(b);
  const headA = recordedHead(a);
  const headB = recordedHead(b);
  const callsA = callsByIndex(a);
  const callsB = callsByIndex(b);
  const sameCache = new Map<string, boolean>();
  const samePlace = (x: DivergentBlock, y: DivergentBlock): boolean => {
    if (x.function !== y.function) return false;
    // Same control-flow shape (an edit inside statements, not of them): blocks pair by id.
    if (x.block >= 0 && y.block >= 0 && sa.shape(x.function) === sb.shape(y.function)) return x.block === y.block;
    const key = `${x.function}\u0000${x.block}\u0000${y.block}\u0000${x.block < 0 ? JSON.stringify(x.spans) : ""}`;
    let same = sameCache.get(key);
    if (same === undefined) {
      same = corresponds(map, lineSet(x), lineSet(y));
      sameCache.set(key, same);
    }
    return same;
  };
  // The branch before position p went different ways: the deciding blocks are those at p - 1.
  const pathAt = (p: number, nextA: DivergentBlock | null, nextB: DivergentBlock | null): DivergenceResult => ({
    result: "diverged",
    compared: p,
    divergence: {
      kind: "path",
      index: p,
      a: p > 0 ? sa.ofBlock(a.blocks[p - 1]!) : nextA,
      b: p > 0 ? sb.ofBlock(b.blocks[p - 1]!) : nextB,
      variables: [],
      next: { a: nextA, b: nextB },
    },
  });
  const limit = Math.min(headA, headB);
  for (let p = 0; ; p++) {
    if (p >= callsA.head || p >= callsB.head) return { result: "undecided", compared: p, reason: "calls were left out of a trace past this point (maxCalls)" };
    const ca = callsA.byIndex.get(p) ?? [];
    const cb = callsB.byIndex.get(p) ?? [];
    for (let k = 0; k < Math.max(ca.length, cb.length); k++) {
      const x = ca[k] ?? null;
      const y = cb[k] ?? null;
      const args = differences(new Map(Object.entries(x?.args ?? {})), new Map(Object.entries(y?.args ?? {})));
      if (x && y && x.function === y.function && args.length === 0) continue;
      // The block that made (or, in the other run, would have made) the call: still running.
      const site = (side: Side, c: TraceCallRecord | null, head: number) =>
        c?.fromBlock ? side.place(c.fromBlock.function, c.fromBlock.block, c.fromBlock.lines) : p < head ? side.ofBlock(side.report.blocks[p]!) : null;
      const siteA = site(sa, x, headA);
      const siteB = site(sb, y, headB);
      if (x && y && siteA && siteB && samePlace(siteA, siteB)) {
        return { result: "diverged", compared: p, divergence: { kind: "call", index: p, a: siteA, b: siteB, variables: args, calls: { a: x, b: y } } };
      }
      // Calls from different places: the paths split before them.
      return pathAt(p, siteA, siteB);
    }
    if (p >= limit) {
      const endA = p >= a.blockCount && ended(a);
      const endB = p >= b.blockCount && ended(b);
      if (endA && endB) return { result: "same", compared: p };
      if ((endA && p < headB) || (endB && p < headA)) {
        const x = p < headA ? a.blocks[p]! : null;
        const y = p < headB ? b.blocks[p]! : null;
        return {
          result: "diverged",
          compared: p,
          divergence: { kind: "end", index: p, a: x ? sa.ofBlock(x) : null, b: y ? sb.ofBlock(y) : null, variables: [] },
        };
      }
      const why = p >= a.blocks.length || p >= b.blocks.length ? "a run stopped before it ended" : "blocks were left out of a trace past this point (maxBlocks)";
      return { result: "undecided", compared: p, reason: statusReason(a, b, false) ?? why };
    }
    const x = sa.ofBlock(a.blocks[p]!);
    const y = sb.ofBlock(b.blocks[p]!);
    if (!samePlace(x, y)) return pathAt(p, x, y);
    const diff = differences(stateOf(a.blocks[p]!), stateOf(b.blocks[p]!));
    if (diff.length > 0) return { result: "diverged", compared: p, divergence: { kind: "state", index: p, a: x, b: y, variables: diff } };
  }
}

function ended(r: TraceReport): boolean {
  return (r.status === "ok" || r.status === "exception") && r.blocks.length === r.blockCount;
}

/** Why a trace cannot be followed further: with `pathless`, only traces that have no path at all. */
function statusReason(a: TraceReport, b: TraceReport, pathless: boolean): string | null {
  for (const [name, r] of [["a", a], ["b", b]] as const) {
    if (r.status === "timeout" || r.status === "crashed" || r.status === "load_error") return `trace ${name} has no path (${r.status}${r.reason ? `: ${r.reason}` : ""})`;
    if (!pathless && (r.status === "step_limit" || r.status === "time_limit")) return `trace ${name} stopped at its ${r.status === "step_limit" ? "step" : "time"} limit`;
  }
  return null;
}

/** True when some line of `x` (version a) is aligned with some line of `y` (version b). */
function corresponds(map: LineMap, x: readonly number[], y: readonly number[]): boolean {
  const ys = new Set(y);
  return x.some((line) => {
    const to = map.aToB[line];
    return to !== null && to !== undefined && ys.has(to);
  });
}

/**
 * True when the divergence is placed on one of the lines an edit touched: the divergent block of
 * either version holds one of its edited lines, or, for a `path` divergence, the block either
 * version ran next does (a missing or an extra branch). Returns which of the two matched.
 */
export function divergenceTouches(d: Divergence, editedA: ReadonlySet<number>, editedB: ReadonlySet<number>): "block" | "next" | null {
  if (blockContains(d.a, editedA) || blockContains(d.b, editedB)) return "block";
  if (d.next && (blockContains(d.next.a, editedA) || blockContains(d.next.b, editedB))) return "next";
  return null;
}

/** True when the block holds one of `lines` (say, the lines an edit touched). */
export function blockContains(block: DivergentBlock | null, lines: ReadonlySet<number>): boolean {
  return block !== null && block.spans.some(([s, e]) => [...lines].some((l) => l >= s && l <= e));
}
