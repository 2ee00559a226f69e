import { z } from "zod";
import { encode, Encoded, type GuestException } from "../sandbox/guest/codec.mjs";
import { VERDICT_STATUSES, type CallVerdict, type Verdict } from "../sandbox/verdict.ts";
import { safeText } from "./text.ts";

/** A guest exception as a tool result shows it: every field escaped and capped. */
export const ExceptionView = z.strictObject({
  type: z.string(),
  message: z.string(),
  traceback: z.string(),
});

/**
 * A verdict as a tool result shows it. `stdout`, `stderr` and the exception are guest text: escaped
 * and truncated with a marker. `value` (session calls) is the returned value in Crucible's tagged
 * JSON (`{"$t": "tuple", "v": [...]}` for what plain JSON cannot say); a value too large to show is
 * left out, `valueTruncated` set and `valuePreview` holding its start.
 */
export const VerdictView = z.strictObject({
  status: z.enum(VERDICT_STATUSES as [Verdict["status"], ...Verdict["status"][]]),
  reason: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  wallMs: z.number(),
  cpuMs: z.number(),
  peakMemoryBytes: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  exception: ExceptionView.optional(),
  value: z.unknown().optional(),
  valueTruncated: z.boolean().optional(),
  valuePreview: z.string().optional(),
  callMs: z.number().optional(),
  restarted: z.boolean().optional(),
});
export type VerdictView = z.infer<typeof VerdictView>;

export function viewException(e: GuestException, maxChars: number): z.infer<typeof ExceptionView> {
  return {
    type: safeText(e.type, 200).text,
    message: safeText(e.message, maxChars).text,
    traceback: safeText(e.traceback, maxChars).text,
  };
}

/** Renders a verdict for a tool result; `maxChars` caps each text field (and the value's JSON). */
export function viewVerdict(v: Verdict | CallVerdict, maxChars: number): VerdictView {
  const stdout = safeText(v.stdout, maxChars, v.stdoutTruncated);
  const stderr = safeText(v.stderr, maxChars, v.stderrTruncated);
  const call = v as CallVerdict;
  return {
    status: v.status,
    reason: v.reason === null ? null : safeText(v.reason, 2000).text,
    exitCode: v.exitCode,
    signal: v.signal,
    wallMs: round(v.wallMs),
    cpuMs: round(v.cpuMs),
    peakMemoryBytes: v.peakMemoryBytes,
    stdout: stdout.text,
    stderr: stderr.text,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    ...(v.exception ? { exception: viewException(v.exception, maxChars) } : {}),
    ...("value" in call && v.status === "ok" ? viewValue(call.value, maxChars) : {}),
    ...(call.callMs === undefined ? {} : { callMs: round(call.callMs) }),
    ...(call.restarted === undefined ? {} : { restarted: call.restarted }),
  };
}

/**
 * A returned value as tagged JSON; past `maxChars` of JSON text it is replaced by a preview. The
 * value stays data: it travels as a JSON value inside structured content, never as text a client
 * would read as instructions (the text block escapes it like any other guest text).
 */
export function viewValue(value: unknown, maxChars: number): { value?: unknown; valueTruncated?: boolean; valuePreview?: string } {
  const wire = value instanceof Encoded ? value.wire : encode(value);
  const text = JSON.stringify(wire);
  if (text.length <= maxChars) return { value: wire };
  return { valueTruncated: true, valuePreview: safeText(text, Math.min(maxChars, 4096)).text };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
