// What every benchmark section shares: number formats, Markdown tables, and rewriting one section
// of docs/benchmarks.md between its markers while keeping every other section.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Past this share of the machine used by other processes, figures are flagged as disturbed. */
export const DISTURBED_SHARE = 0.1;

/** The HTML comments that delimit a section written by a benchmark script. */
export interface Markers {
  readonly start: string;
  readonly end: string;
}

export function ms(x: number): string {
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

export function rate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export function ratio(x: number): string {
  return `${x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)}×`;
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map((_, i) => (i === 0 ? "---" : "--:"))), ...rows.map(line)].join("\n");
}

const PREAMBLE = "# Benchmarks\n\nEach section is written by its benchmark script; rerun the script to refresh it.\n";

/** Replaces the section between the markers, or appends it; creates the file when missing. */
export function writeSection(file: string, section: string, markers: Markers): void {
  const old = existsSync(file) ? readFileSync(file, "utf8") : PREAMBLE;
  const start = old.indexOf(markers.start);
  const end = old.indexOf(markers.end, start);
  const next =
    start >= 0 && end > start
      ? `${old.slice(0, start)}${section}${old.slice(end + markers.end.length)}`
      : `${old.trimEnd()}\n\n${section}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, next);
}
