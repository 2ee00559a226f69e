// Text and numbers for the HTML report. Task ids, results, inputs and outputs are model or guest
// output: hostile text that must neither become markup nor hide what it says (bidi overrides that
// reorder a line, zero-width characters, terminal escapes).

// C0 except tab and newline, DEL, C1, soft hyphen, bidi controls, zero-width and other invisible
// format characters, line/paragraph separators, and lone surrogate halves (only unpaired ones match
// with the `u` flag).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SPECIAL = /[&<>"']|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/gu;

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function spelled(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/** At most `max` UTF-16 units of `text`, never splitting a surrogate pair, saying how much was cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… [${text.length - end} more characters]`;
}

/**
 * Text for an attribute value or an SVG `<title>`: HTML-escaped, with invisible and control
 * characters spelled out as `\u{202e}` (markup is not possible there).
 */
export function escapeAttr(text: string, max = 300): string {
  return clip(text, max).replace(SPECIAL, (ch) => ENTITIES[ch] ?? spelled(ch));
}

/** Text for element content: escaped like `escapeAttr`, and each spelled-out character marked so it stands out. */
export function escapeHtml(text: string, max = 4000): string {
  return clip(text, max).replace(SPECIAL, (ch) => ENTITIES[ch] ?? `<span class="cc">${spelled(ch)}</span>`);
}

/** A fraction as a percentage with one decimal: 0.5 → "50.0%". */
export function percent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "–";
}

/** A duration for people: "850 ms", "4.2 s", "3 min 12 s", "1 h 02 min". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Reads a pass@k key, "pass@10" or "10", as k. */
export function kOf(key: string): number | undefined {
  const m = /^(?:pass@)?(\d+)$/u.exec(key);
  return m ? Number(m[1]) : undefined;
}
