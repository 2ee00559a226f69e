import { describe, expect, it } from "vitest";
import { EXIT_CODES, escapeForTerminal, summarize } from "./render.ts";
import { VERDICT_STATUSES } from "../sandbox/verdict.ts";

describe("escapeForTerminal", () => {
  it("should escape ANSI escapes, bidi overrides and invisible characters but keep text, tabs and newlines", () => {
    expect(escapeForTerminal("a\x1b[2Jb\u202Ec\u200Bd\te\n")).toBe("a\\u{1b}[2Jb\\u{202e}c\\u{200b}d\te\n");
    expect(escapeForTerminal("plain ünïcode ✓")).toBe("plain ünïcode ✓");
  });

  it("should escape C1 controls and DEL", () => {
    expect(escapeForTerminal("\u009b31m\u007f")).toBe("\\u{9b}31m\\u{7f}");
  });
});

describe("summarize", () => {
  it("should name the status, the reason and the exception", () => {
    const line = summarize({
      status: "error",
      reason: null,
      exitCode: 1,
      signal: null,
      wallMs: 3.21,
      cpuMs: 2,
      peakMemoryBytes: 12 * 1024 * 1024,
      stdout: "",
      stderr: "",
      stdoutTruncated: false,
      stderrTruncated: true,
      exception: { type: "KeyError", message: "'k'", traceback: "" },
    });
    expect(line).toBe("error (exit 1) [KeyError: 'k'] in 3.2 ms, cpu 2.0 ms, peak 12.0 MiB (output truncated)");
  });
});

describe("EXIT_CODES", () => {
  it("should give every verdict status its own exit code, 0 only for ok", () => {
    const codes = VERDICT_STATUSES.map((s) => EXIT_CODES[s]);
    expect(new Set(codes).size).toBe(VERDICT_STATUSES.length);
    expect(EXIT_CODES.ok).toBe(0);
    expect(codes.filter((c) => c === 2)).toHaveLength(0);
  });
});
