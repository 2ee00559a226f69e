/**
 * Guest output is hostile text that ends up in front of a model: before any of it goes into a tool
 * result it is escaped (so control characters, ANSI escapes, bidi overrides and invisible
 * characters are visible as `\u{…}` instead of acting) and truncated with a marker that says how
 * much was cut.
 */

// C0 except tab and newline, DEL, C1, soft hyphen, Arabic letter mark, Mongolian vowel separator,
// zero-width and bidi marks, line/paragraph separators, bidi embeddings and isolates, word joiner and
// invisible operators, BOM, interlinear annotation, Unicode tag characters (invisible "ASCII
// smuggling") and lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]|\p{Cs}/gu;

/** Replaces every hidden or control character of `text` with a visible `\u{hex}` escape. */
export function escapeText(text: string): string {
  return text.replace(HIDDEN, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/** True when `text` holds a character `escapeText` would escape. */
export function hasHiddenText(text: string): boolean {
  HIDDEN.lastIndex = 0;
  const found = HIDDEN.test(text);
  HIDDEN.lastIndex = 0;
  return found;
}

/**
 * Escapes `text` and keeps at most `maxChars` characters of it, cut at a code point boundary and
 * followed by a marker giving the number of characters left out. `truncated` is true when the
 * text was cut here or, per `alreadyTruncated`, earlier (the sandbox caps output too).
 */
export function safeText(text: string, maxChars: number, alreadyTruncated = false): { text: string; truncated: boolean } {
  const escaped = escapeText(text);
  if (escaped.length <= maxChars) {
    return { text: alreadyTruncated ? `${escaped}\n[output truncated by the sandbox's output limit]` : escaped, truncated: alreadyTruncated };
  }
  let cut = maxChars;
  const code = escaped.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return { text: `${escaped.slice(0, cut)}\n[output truncated: ${escaped.length - cut} more characters]`, truncated: true };
}

/**
 * A copy of a JSON report with every string escaped and capped (`safeText`), except under the keys
 * in `keep`, whose values are data to feed back (arguments and outputs in wire form) and stay
 * exact. Arrays and objects are rebuilt with own properties only.
 */
export function escapeDeep(value: unknown, maxChars: number, keep: ReadonlySet<string>): unknown {
  if (typeof value === "string") return safeText(value, maxChars).text;
  if (Array.isArray(value)) return value.map((v) => escapeDeep(v, maxChars, keep));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, escapeText(k), { value: keep.has(k) ? v : escapeDeep(v, maxChars, keep), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
