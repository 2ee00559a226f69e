import type { Verdict } from "../sandbox/verdict.ts";

/**
 * Guest output is hostile: on a terminal, control characters (ANSI escapes included), bidi
 * overrides and invisible format characters are shown escaped, never interpreted.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(
    // C0 except tab and newline, DEL, C1, bidi controls, zero-width and other invisible format chars.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu,
    (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** One line that says how a run ended. */
export function summarize(v: Verdict): string {
  const how =
    v.status === "ok" || v.status === "error"
      ? v.signal
        ? `${v.status} (${v.signal})`
        : `${v.status} (exit ${v.exitCode ?? "?"})`
      : v.status;
  const reason = v.reason ? `: ${v.reason}` : "";
  const exc = v.exception ? ` [${v.exception.type}: ${v.exception.message.slice(0, 200)}]` : "";
  const trunc = v.stdoutTruncated || v.stderrTruncated ? " (output truncated)" : "";
  return `${how}${reason}${exc} in ${v.wallMs.toFixed(1)} ms, cpu ${v.cpuMs.toFixed(1)} ms, peak ${formatBytes(v.peakMemoryBytes)}${trunc}`;
}

/** Exit codes of `crucible run`: 0 ok, 1 guest error, 2 bad usage, then one per verdict status. */
export const EXIT_CODES: Readonly<Record<Verdict["status"], number>> = {
  ok: 0,
  error: 1,
  sandbox_error: 3,
  memory: 4,
  output_limit: 5,
  disk_limit: 6,
  killed: 7,
  timeout: 124,
};
