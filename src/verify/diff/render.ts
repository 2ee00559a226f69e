import type { Wire } from "../../sandbox/guest/codec.mjs";
import { pythonRepr } from "../inputs/index.ts";
import type { Outcome } from "./outcome.ts";
import { hostValue } from "./random.ts";
import type { DiffReport } from "./types.ts";

/** A wire value as Python prints it (`[1.0, 2]`, `('a', True)`). */
export function reprOf(w: Wire, maxChars = 300): string {
  const text = pythonRepr(hostValue(w));
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

function outcomeText(o: Outcome): string {
  switch (o.kind) {
    case "value":
      return `returned ${reprOf(o.value)}`;
    case "exception":
      return `raised ${o.type}${o.message ? `: ${o.message.slice(0, 200)}` : ""}`;
    case "timeout":
      return `did not finish in ${Math.round(o.ms)} ms`;
    case "crash":
      return `crashed (${o.status}${o.reason ? `: ${o.reason}` : ""})`;
  }
}

/** The report as lines a person reads; `labels` name the two programs (their file names). */
export function diffReportLines(report: DiffReport, entryPoint: string, labels: readonly [string, string]): string[] {
  const ms = (x: number) => `${Math.round(x)} ms`;
  switch (report.status) {
    case "found": {
      const width = Math.max(labels[0].length, labels[1].length, "input".length) + 1;
      return [
        `difference found in ${ms(report.elapsedMs)} (${report.strategy} input, ${report.inputsTried} inputs tried, ${report.calls} calls each, seed ${report.seed})`,
        `  ${"input".padEnd(width)} ${entryPoint}(${report.input.map((w) => reprOf(w)).join(", ")})`,
        `  ${`${labels[0]}`.padEnd(width)} ${outcomeText(report.a)}`,
        `  ${`${labels[1]}`.padEnd(width)} ${outcomeText(report.b)}`,
      ];
    }
    case "not_found":
      return [
        report.reason === "exhausted"
          ? `no difference found: nothing left to try after ${report.inputsTried} inputs (give seed inputs or parameter types)`
          : `no difference found in ${ms(report.elapsedMs)} (${report.inputsTried} inputs tried, ${report.calls} calls each, seed ${report.seed})`,
        ...(report.unconfirmed > 0 ? [`  ${report.unconfirmed} difference(s) seen once did not repeat (nondeterminism or timing)`] : []),
      ];
    case "error":
      return report.failures.map((f) => `${labels[f.which === "a" ? 0 : 1]} ${f.reason}`);
  }
}
