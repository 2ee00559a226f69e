import { createHash } from "node:crypto";
import { clip, duration, escapeAttr, escapeHtml, kOf, percent } from "./report-html-text.ts";
import { failureCategories, OUTCOMES, sampleOutcome, type FailureCategory, type SampleOutcome } from "./report-outcomes.ts";
import type { EvalSummary, PassAtK, SampleResult } from "./results.ts";

export interface HtmlReportOptions {
  /** The page's title; defaults to "Crucible eval: <dataset name>". */
  readonly title?: string;
  /** The date the header shows (UTC); defaults to now. */
  readonly generatedAt?: Date;
}

/** Squares per line of a task's row in the outcome grid, and their size and pitch in px. */
const GRID_COLUMNS = 100;
const SQUARE = 8;
const PITCH = 10;
const SLOWEST = 20;

const OUTCOME_LABEL: Readonly<Record<SampleOutcome, string>> = {
  pass: "passed",
  "base-only": "base passed, plus failed",
  fail: "failed",
  timeout: "timed out",
  error: "grading error",
};
const OUTCOME_CLASS: Readonly<Record<SampleOutcome, string>> = { pass: "p", "base-only": "b", fail: "f", timeout: "t", error: "e" };

const SETS = ["program", "base", "plus"] as const;
type TestSet = (typeof SETS)[number];
const SET_LABEL: Readonly<Record<TestSet, string>> = { program: "program tests", base: "base tests", plus: "base + plus tests" };

const byTaskId = new Intl.Collator("en", { numeric: true }).compare;

/**
 * Renders an evaluation as one self-contained HTML page: inline CSS and SVG, no external assets,
 * and a Content-Security-Policy that lets nothing load and no script run but the page's own (a
 * few lines that only add sorting to the grid). Every task id, result, input and output is treated
 * as hostile text: escaped, with control and bidi characters shown spelled out. Works with no
 * results at all (it says so) and stays compact for 500 tasks × 200 samples.
 */
export function renderHtmlReport(summary: EvalSummary, results: readonly SampleResult[], options: HtmlReportOptions = {}): string {
  const title = options.title ?? `Crucible eval: ${summary.dataset.name}`;
  const sorted = [...results].sort((a, b) => byTaskId(a.task_id, b.task_id) || a.completion_id - b.completion_id);
  const body = [
    header(title, summary, options.generatedAt ?? new Date()),
    passAtKSection(summary),
    gridSection(sorted),
    categoriesSection(sorted),
    slowestSection(sorted),
  ].join("\n");
  return page(title, body);
}

function header(title: string, summary: EvalSummary, date: Date): string {
  const d = summary.dataset;
  const rate = summary.wallMs > 0 ? (summary.samples - summary.resumed) / (summary.wallMs / 1000) : NaN;
  const headline = headlinePassAtK(summary);
  const c = summary.counts;
  const tiles = [
    headline ? tile(percent(headline.value), `pass@${headline.k} (${SET_LABEL[headline.set]})`) : "",
    tile(String(summary.samples), "samples"),
    tile(`${summary.tasksGraded}<small> / ${d.tasks}</small>`, "tasks graded / in the dataset"),
    tile(duration(summary.wallMs), "wall time"),
    Number.isFinite(rate) ? tile(rate.toFixed(1), "samples/s graded") : "",
    summary.resumed > 0 ? tile(String(summary.resumed), "resumed from the results file") : "",
  ].join("");
  return `<header>
<h1>${escapeHtml(title, 200)}</h1>
<p class="sub">dataset <b>${escapeHtml(d.name, 200)}</b> · ${escapeHtml(d.kind)} · sha256 <code title="${escapeAttr(d.sha256)}">${escapeHtml(d.sha256.slice(0, 12))}…</code> · md5 <code>${escapeHtml(d.md5, 64)}</code> · ${escapeHtml(date.toISOString().slice(0, 16).replace("T", " "))} UTC</p>
<div class="tiles">${tiles}</div>
<p class="counts">${c.passed} passed · ${c.failed} failed · ${c.timedOut} timed out · ${c.errors} grading errors</p>
</header>`;
}

function tile(value: string, label: string): string {
  return `<div class="tile"><b>${value}</b><span>${escapeHtml(label)}</span></div>`;
}

/** pass@k per test set, as k → value, in k order. */
function passAtKRows(summary: EvalSummary): { set: TestSet; values: Map<number, number> }[] {
  return SETS.flatMap((set) => {
    const table: PassAtK | undefined = summary.passAtK[set];
    if (!table) return [];
    const values = new Map<number, number>();
    for (const [key, value] of Object.entries(table)) {
      const k = kOf(key);
      if (k !== undefined && typeof value === "number") values.set(k, value);
    }
    return values.size > 0 ? [{ set, values }] : [];
  });
}

function headlinePassAtK(summary: EvalSummary): { set: TestSet; k: number; value: number } | undefined {
  const rows = passAtKRows(summary);
  const row = rows.find((r) => r.set === "plus") ?? rows[0];
  if (!row) return undefined;
  const k = Math.min(...row.values.keys());
  return { set: row.set, k, value: row.values.get(k)! };
}

function passAtKSection(summary: EvalSummary): string {
  const rows = passAtKRows(summary);
  if (rows.length === 0) return `<section><h2>pass@k</h2><p class="muted">No pass@k: no task has enough samples for the k asked.</p></section>`;
  const ks = [...new Set(rows.flatMap((r) => [...r.values.keys()]))].sort((a, b) => a - b);
  const head = ks.map((k) => `<th class="num">pass@${k}</th>`).join("");
  const body = rows
    .map((r) => {
      const cells = ks.map((k) => {
        const v = r.values.get(k);
        return v === undefined ? `<td class="num">–</td>` : `<td class="num" title="${v}">${percent(v)}</td>`;
      });
      return `<tr><th><i class="key s-${r.set}"></i>${SET_LABEL[r.set]}</th>${cells.join("")}</tr>`;
    })
    .join("\n");
  return `<section id="pass-at-k"><h2>pass@k</h2>
<div class="split"><table class="passk"><thead><tr><th>tests</th>${head}</tr></thead><tbody>${body}</tbody></table>
${passAtKChart(rows, ks)}</div></section>`;
}

function passAtKChart(rows: ReturnType<typeof passAtKRows>, ks: readonly number[]): string {
  const barW = 26;
  const groupW = rows.length * (barW + 4) + 24;
  const plotH = 120;
  const left = 40;
  const top = 16;
  const width = left + ks.length * groupW + 8;
  const height = top + plotH + 22;
  const y = (v: number) => top + plotH - Math.max(0, Math.min(1, v)) * plotH;
  const axis = [0, 0.5, 1]
    .map((v) => `<line x1="${left - 4}" x2="${width}" y1="${y(v)}" y2="${y(v)}" class="rule"/><text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v * 100}%</text>`)
    .join("");
  const bars = ks
    .map((k, g) => {
      const x0 = left + g * groupW + 12;
      const group = rows.map((r, i) => {
        const v = r.values.get(k);
        if (v === undefined) return "";
        const x = x0 + i * (barW + 4);
        return `<rect x="${x}" y="${y(v)}" width="${barW}" height="${top + plotH - y(v)}" class="s-${r.set}"><title>${SET_LABEL[r.set]} pass@${k}: ${percent(v)}</title></rect><text x="${x + barW / 2}" y="${y(v) - 3}" text-anchor="middle" class="val">${(v * 100).toFixed(0)}</text>`;
      });
      const mid = x0 + (rows.length * (barW + 4) - 4) / 2;
      return `${group.join("")}<text x="${mid}" y="${height - 6}" text-anchor="middle">pass@${k}</text>`;
    })
    .join("");
  return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="pass@k bar chart">${axis}${bars}</svg>`;
}

function gridSection(results: readonly SampleResult[]): string {
  const tasks = new Map<string, SampleResult[]>();
  for (const r of results) {
    const list = tasks.get(r.task_id);
    if (list) list.push(r);
    else tasks.set(r.task_id, [r]);
  }
  if (tasks.size === 0) return `<section id="outcomes"><h2>Outcomes</h2><p class="muted">No samples were graded.</p></section>`;
  const tally = new Map<SampleOutcome, number>();
  const longest = Math.max(...[...tasks.values()].map((l) => l.length));
  const widest = Math.min(GRID_COLUMNS, longest);
  const rows = [...tasks].map(([id, list], i) => {
    let passed = 0;
    const squares = list.map((r, j) => {
      const outcome = sampleOutcome(r);
      tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
      if (outcome === "pass") passed++;
      const x = (j % GRID_COLUMNS) * PITCH;
      const y = Math.floor(j / GRID_COLUMNS) * PITCH;
      const tip = `${clip(id, 120)} #${r.completion_id}: ${clip(String(r.result), 240)}`;
      return `<rect x="${x}" y="${y}" width="${SQUARE}" height="${SQUARE}" class="${OUTCOME_CLASS[outcome]}"><title>${escapeAttr(tip, 400)}</title></rect>`;
    });
    const w = Math.min(list.length, GRID_COLUMNS) * PITCH - (PITCH - SQUARE);
    const h = Math.ceil(list.length / GRID_COLUMNS) * PITCH - (PITCH - SQUARE);
    return `<div class="row" data-i="${i}" data-rate="${(passed / list.length).toFixed(4)}"><div class="tid" title="${escapeAttr(id)}">${escapeHtml(id, 60)}</div><svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeAttr(id, 120)}: ${passed} of ${list.length} passed">${squares.join("")}</svg><div class="n">${passed}/${list.length}</div></div>`;
  });
  const legend = OUTCOMES.filter((o) => tally.has(o))
    .map((o) => `<span><i class="${OUTCOME_CLASS[o]}"></i>${OUTCOME_LABEL[o]} ${tally.get(o)}</span>`)
    .join("");
  const minWidth = 150 + widest * PITCH + 60;
  return `<section id="outcomes"><h2>Outcomes by task <small>${tasks.size} ${tasks.size === 1 ? "task" : "tasks"} · one square per sample</small></h2>
<div class="legend">${legend}<span class="sort"><button type="button" data-sort="i" hidden>task order</button><button type="button" data-sort="rate" hidden>lowest pass rate first</button></span></div>
<div class="grid${widest < longest ? " multi" : ""}" id="grid" style="column-width:${minWidth}px">
${rows.join("\n")}
</div></section>`;
}

function categoriesSection(results: readonly SampleResult[]): string {
  const categories = failureCategories(results);
  if (categories.length === 0) return `<section id="failures"><h2>Failures</h2><p class="muted">No sample failed.</p></section>`;
  const failed = categories.reduce((n, c) => n + c.count, 0);
  const evalPlus = results.some((r) => r.base_status !== undefined);
  const plusOnly = categories.reduce((n, c) => n + c.plusOnly, 0);
  const rows = categories
    .map(
      (c) => `<tr><td>${escapeHtml(c.label, 120)}</td><td class="num">${c.count}</td><td class="num">${percent(c.count / failed)}</td>${evalPlus ? `<td class="num">${c.plusOnly}</td>` : ""}<td>${example(c.example)}</td></tr>`,
    )
    .join("\n");
  const note = evalPlus ? `<p class="muted">${plusOnly} of ${failed} failing samples passed the base tests and failed only EvalPlus's extra tests (the light part of each bar).</p>` : "";
  return `<section id="failures"><h2>Failures by category <small>${failed} samples</small></h2>
${note}${categoryChart(categories)}
<table><thead><tr><th>category</th><th class="num">samples</th><th class="num">share</th>${evalPlus ? `<th class="num">plus only</th>` : ""}<th>example</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function categoryChart(categories: readonly FailureCategory[]): string {
  const labelW = 280;
  const barMax = 520;
  const rowH = 20;
  const max = Math.max(...categories.map((c) => c.count));
  const height = categories.length * rowH + 4;
  const bars = categories
    .map((c, i) => {
      const y = i * rowH + 2;
      const w = (c.count / max) * barMax;
      const wPlus = (c.plusOnly / max) * barMax;
      return `<text x="${labelW - 8}" y="${y + 13}" text-anchor="end">${escapeAttr(clip(c.label, 44), 80)}</text><rect x="${labelW}" y="${y + 2}" width="${Math.max(1, w - wPlus)}" height="${rowH - 6}" class="f"><title>${escapeAttr(c.label, 200)}: ${c.count}</title></rect>${c.plusOnly > 0 ? `<rect x="${labelW + w - wPlus}" y="${y + 2}" width="${wPlus}" height="${rowH - 6}" class="b"><title>passed base, failed plus: ${c.plusOnly}</title></rect>` : ""}<text x="${labelW + w + 6}" y="${y + 13}">${c.count}</text>`;
    })
    .join("");
  const width = labelW + barMax + 60;
  return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="failures by category">${bars}</svg>`;
}

function example(r: SampleResult): string {
  const f = r.failure;
  const facts: [string, string | undefined][] = [
    ["result", String(r.result)],
    ["test", f ? `${f.set} #${f.index} (${f.kind})` : undefined],
    ["input", f?.input],
    ["expected", f?.expected],
    ["actual", f?.actual],
    ["exception", f?.exception],
  ];
  const dl = facts
    .filter((e): e is [string, string] => typeof e[1] === "string")
    .map(([k, v]) => `<dt>${k}</dt><dd><pre>${escapeHtml(v, 2000)}</pre></dd>`)
    .join("");
  return `<details><summary>${escapeHtml(String(r.task_id), 60)} #${escapeHtml(String(r.completion_id), 20)}</summary><dl>${dl}</dl></details>`;
}

/** The slowest single test of a sample, when the grader recorded one (`slowest_test: { set, index, ms }`). */
function slowestTest(r: SampleResult): { set: string; index: number; ms: number } | undefined {
  const t = r["slowest_test"] as { set?: unknown; index?: unknown; ms?: unknown } | null | undefined;
  if (typeof t !== "object" || t === null) return undefined;
  const { set, index, ms } = t;
  return typeof set === "string" && typeof index === "number" && typeof ms === "number" && Number.isFinite(ms) ? { set, index, ms } : undefined;
}

function slowestSection(results: readonly SampleResult[]): string {
  const time = (r: SampleResult) => slowestTest(r)?.ms ?? r.duration_ms;
  const top = results.filter((r) => Number.isFinite(time(r))).sort((a, b) => time(b) - time(a)).slice(0, SLOWEST);
  if (top.length === 0) return "";
  const max = Math.max(time(top[0]!), 1);
  const rows = top
    .map((r, i) => {
      const t = slowestTest(r);
      const which = t ? `${escapeHtml(t.set, 20)} #${t.index}` : "whole sample";
      return `<tr><td class="num">${i + 1}</td><td>${escapeHtml(String(r.task_id), 60)}</td><td class="num">${escapeHtml(String(r.completion_id), 20)}</td><td class="nowrap">${which}</td><td class="num">${duration(time(r))}</td><td class="barcell"><div class="bar" style="width:${((time(r) / max) * 100).toFixed(1)}%"></div></td><td class="num">${duration(r.duration_ms)}</td><td><span class="${OUTCOME_CLASS[sampleOutcome(r)]} dot"></span>${escapeHtml(String(r.result), 160)}</td></tr>`;
    })
    .join("\n");
  return `<section id="slowest"><h2>Slowest ${top.length} samples <small>by their slowest test, or by the whole sample's time</small></h2>
<table><thead><tr><th class="num">#</th><th>task</th><th class="num">sample</th><th>slowest test</th><th class="num">time</th><th></th><th class="num">sample total</th><th>result</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

// Progressive enhancement only: the page reads the same without it.
const SCRIPT = `const grid=document.getElementById("grid");if(grid){const rows=[...grid.children];for(const b of document.querySelectorAll("[data-sort]")){b.hidden=false;b.addEventListener("click",()=>{const by=b.dataset.sort;rows.sort((x,y)=>(by==="rate"?x.dataset.rate-y.dataset.rate:0)||x.dataset.i-y.dataset.i);grid.append(...rows);});}}`;

const STYLE = `:root{--pass:#2da44e;--base-only:#54aeff;--fail:#cf222e;--timeout:#d4a72c;--error:#8250df;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1400px;margin:0 auto;padding:20px 24px}h1{font-size:22px;margin:0 0 2px}h2{font-size:16px;margin:0 0 10px}h2 small,.muted,.sub,.counts{color:var(--muted);font-weight:normal}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:14px 0;overflow-x:auto}
code,pre,.tid,.n{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}.sub{margin:0 0 12px}.counts{margin:10px 0 0}
.tiles{display:flex;flex-wrap:wrap;gap:10px}.tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}
.tile b{display:block;font-size:22px;font-variant-numeric:tabular-nums}.tile small{font-size:14px;color:var(--muted)}.tile span{color:var(--muted);font-size:12px}
table{border-collapse:collapse}th,td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}thead th{font-size:12px;color:var(--muted);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.split{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-end}
.chart text{font-size:11px;fill:var(--muted)}.chart .val{fill:var(--ink)}.chart .rule{stroke:var(--line)}
.s-program{fill:#0969da;background:#0969da}.s-base{fill:#80b3f0;background:#80b3f0}.s-plus{fill:#0a3069;background:#0a3069}
i.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.grid{column-gap:28px;column-rule:1px solid var(--line)}.row{display:flex;align-items:flex-start;gap:8px;min-width:0;padding:1px 0;break-inside:avoid}
.multi .row{padding:3px 0;border-bottom:1px solid #eaeef2}.tid{flex:none;width:130px;font-size:10px;line-height:9px;height:9px;text-align:right;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.row svg{flex:none;display:block;max-width:100%;height:auto;margin-top:.5px}.n{flex:none;font-size:9px;line-height:9px;color:var(--muted)}
.p{fill:var(--pass);background:var(--pass)}.b{fill:var(--base-only);background:var(--base-only)}.f{fill:var(--fail);background:var(--fail)}.t{fill:var(--timeout);background:var(--timeout)}.e{fill:var(--error);background:var(--error)}
.legend{display:flex;flex-wrap:wrap;gap:16px;margin:0 0 10px;color:var(--muted)}.legend i,.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.sort{margin-left:auto}.sort button{font:inherit;font-size:12px;margin-left:6px;border:1px solid var(--line);background:var(--bg);border-radius:5px;padding:1px 8px;cursor:pointer}
details summary{cursor:pointer;font-family:ui-monospace,monospace}dl{margin:4px 0}dt{font-size:12px;color:var(--muted)}dd{margin:0 0 4px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;max-height:14em;overflow:auto;background:var(--bg);padding:4px 8px;border-radius:4px;margin:0;font-size:12px}
.nowrap{white-space:nowrap}.barcell{width:160px;vertical-align:middle}.bar{height:8px;border-radius:2px;background:#80b3f0}
.cc{background:#fff8c5;color:#9a6700;border:1px solid #d4a72c;border-radius:3px;font-family:ui-monospace,monospace;font-size:85%}`;

function page(title: string, body: string): string {
  const scriptHash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeAttr(title, 200)}</title>
<style>${STYLE}</style></head>
<body><main>
${body}
</main><script>${SCRIPT}</script></body></html>
`;
}
