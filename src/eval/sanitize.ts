import { CrucibleError } from "../errors.ts";

/** CodeT's stop sequences for HumanEval completions (microsoft/CodeT `src/postprocess.py`). */
export const CODET_STOPS: readonly string[] = Object.freeze(["\nclass", "\ndef", "\n#", "\nif", "\nprint"]);

/**
 * Cuts a completion at stop sequences exactly as CodeT does: for each stop in order, if it occurs,
 * keep what comes before its first occurrence (`for t in STOP: if t in s: s = s.split(t)[0]`).
 * Idempotent; the result is a prefix of `completion` and holds none of `stops`.
 *
 * @throws CrucibleError `invalid_argument` for an empty stop (Python's `split("")` raises too).
 */
export function cutAtStops(completion: string, stops: readonly string[]): string {
  let s = completion;
  for (const t of stops) {
    if (t === "") throw new CrucibleError("invalid_argument", "a stop sequence must not be empty");
    const i = s.indexOf(t);
    if (i !== -1) s = s.slice(0, i);
  }
  return s;
}

export interface SanitizeOptions {
  /** The function the code must define: among several code blocks, the one that defines it wins. */
  readonly entryPoint?: string;
  /** Stop sequences, applied last with `cutAtStops`. */
  readonly stop?: readonly string[];
}

// Text after the last of these is the model's answer (chat templates echoed back, reasoning).
const ANSWER_STARTS = [
  "</think>",
  "[/INST]",
  "<|im_start|>assistant",
  "<|start_header_id|>assistant<|end_header_id|>",
  "<|assistant|>",
  "<start_of_turn>model",
  "<｜Assistant｜>",
  "<|Assistant|>",
];
// The answer ends at the first of these (end of turn or text, or the start of another turn).
const ANSWER_ENDS = [
  "<|im_end|>",
  "<|im_start|>",
  "<|endoftext|>",
  "<|end_of_text|>",
  "<|eot_id|>",
  "<|EOT|>",
  "<|end|>",
  "<|user|>",
  "<|endofmask|>",
  "<|file_separator|>",
  "<end_of_turn>",
  "<｜end▁of▁sentence｜>",
  "<|end▁of▁sentence|>",
  "</s>",
  "<eos>",
  "[INST]",
];
const BEGIN_TOKENS = /<s>|<\|begin_of_text\|>|<\|startoftext\|>|<｜begin▁of▁sentence｜>|<bos>/g;

const PYTHON_TAGS = new Set(["", "python", "python3", "py", "py3"]);
// Backtick fences indented at most three spaces (CommonMark). Tilde fences are left out: a line of
// tildes is far more often an underline in a docstring than a fence in model output.
const FENCE = /^ {0,3}(`{3,})[ \t]*([^\s`]*)[^`]*$/;

/**
 * Turns raw model output into the code to run. In order:
 * 1. keeps the answer: text after a reasoning block (`</think>`) or an echoed chat template
 *    (`[/INST]`, `<|im_start|>assistant`, …), up to the first end-of-turn token (`<|im_end|>`,
 *    `<|endoftext|>`, `</s>`, `<|EOT|>`, `<|end|>`, `<|eot_id|>`, …); begin-of-text tokens go;
 * 2. markdown fences (```): takes one python, py or untagged block — the first that defines
 *    `entryPoint`, else the first python-tagged, else the first untagged; an unclosed block runs to
 *    the end, and code before a lone closing fence (a completion that continued a fence the prompt
 *    opened) counts as a block too;
 * 3. without a usable fence: drops prose before the code (from the first line that starts like
 *    code: def, class, import, from … import, a decorator, `if __name__`, an assignment) and
 *    from the first unindented prose line after it; text inside triple-quoted strings is never
 *    taken for prose. Output that opens with code or indentation (a completion) is kept whole;
 * 4. cuts at `stop`.
 * Returns "" when no code is left. Extracted code has "\n" line ends (Python reads source that
 * way) and ends with one newline; text that needed no extraction is returned as it is.
 */
export function sanitize(raw: string, options: SanitizeOptions = {}): string {
  let text = raw;
  for (const marker of ANSWER_STARTS) {
    const i = text.lastIndexOf(marker);
    if (i !== -1) text = text.slice(i + marker.length);
  }
  for (const marker of ANSWER_ENDS) {
    const i = text.indexOf(marker);
    if (i !== -1) text = text.slice(0, i);
  }
  text = text.replace(BEGIN_TOKENS, "");
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const code = fromFences(lines, options.entryPoint) ?? withoutProse(lines) ?? text;
  return cutAtStops(code, options.stop ?? []);
}

interface Block {
  readonly tag: string;
  readonly lines: readonly string[];
}

function fromFences(lines: readonly string[], entryPoint: string | undefined): string | undefined {
  const fences: { index: number; tag: string }[] = [];
  for (const [index, line] of lines.entries()) {
    const m = FENCE.exec(line);
    if (m !== null) fences.push({ index, tag: (m[2] ?? "").toLowerCase() });
  }
  const first = fences[0];
  if (first === undefined) return undefined;
  const blocks: Block[] = [];
  let i = 0;
  const before = lines.slice(0, first.index);
  const lead = firstNonBlank(before);
  if (first.tag === "" && (/^\s/.test(lead) || CODE_START.test(lead))) {
    blocks.push({ tag: "", lines: before });
    i = 1;
  }
  while (i < fences.length) {
    const open = fences[i] as { index: number; tag: string };
    // A closing fence has no info string; a tagged fence inside a block is part of its text.
    let j = i + 1;
    while (j < fences.length && fences[j]?.tag !== "") j++;
    const close = fences[j];
    blocks.push({ tag: open.tag, lines: lines.slice(open.index + 1, close?.index ?? lines.length) });
    i = j + 1;
  }
  const candidates = blocks.filter((b) => PYTHON_TAGS.has(b.tag) && b.lines.some((l) => l.trim() !== ""));
  const chosen =
    (entryPoint === undefined ? undefined : candidates.find((b) => definesName(b.lines, entryPoint))) ??
    candidates.find((b) => b.tag !== "") ??
    candidates[0];
  return chosen === undefined ? undefined : finish(chosen.lines);
}

function definesName(lines: readonly string[], name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^\\s*(?:async\\s+)?(?:def|class)\\s+${escaped}\\s*[(:]`);
  return lines.some((l) => re.test(l));
}

function firstNonBlank(lines: readonly string[]): string {
  return lines.find((l) => l.trim() !== "") ?? "";
}

function finish(lines: readonly string[]): string {
  let end = lines.length;
  while (end > 0 && (lines[end - 1] ?? "").trim() === "") end--;
  return end === 0 ? "" : lines.slice(0, end).join("\n") + "\n";
}

const CODE_START =
  /^(?:(?:async\s+)?def\s+\w|class\s+\w|import\s+\w|from\s+[\w.]+\s+import\s|@\w|if\s+__name__\s*==|[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*(?::[^=\n]+)?=[^=])/;
const ASSIGNMENT_OR_CALL = /^[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:[-+*/%&|^@]|\/\/|\*\*|>>|<<)?=[^=]|^[A-Za-z_][\w.]*\s*\(/;

/** An unindented line that reads as English rather than Python. */
function isProse(line: string): boolean {
  if (line === "" || /^\s/.test(line)) return false;
  if (/^(?:True|False|None)\b/.test(line) || ASSIGNMENT_OR_CALL.test(line)) return false;
  if (/^(?:[-*+]\s+\S|\d+[.)]\s+\S)/.test(line)) return true; // list items
  if (/^[A-Z][A-Za-z']*[,:;!.?]?(?:\s+[^\s=]+){2,}/.test(line)) return true; // "Here is the code:", "Sure! Here it is"
  if (/^[A-Z][A-Za-z' ]*:\s*$/.test(line)) return true; // "Explanation:", "Example usage:"
  return /^[A-Z][\w']*[!.]\s*$/.test(line); // "Sure!"
}

/** The code without the prose around it, or undefined when there is no prose to drop. */
function withoutProse(lines: readonly string[]): string | undefined {
  const inString = tripleQuotedLines(lines);
  const startAt = lines.findIndex((l) => l.trim() !== "");
  if (startAt === -1) return undefined;
  let start = 0;
  if (isProse(lines[startAt] ?? "")) {
    start = lines.findIndex((l, i) => i > startAt && !inString[i] && CODE_START.test(l));
    if (start === -1) return "";
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (!inString[i] && isProse(lines[i] ?? "")) {
      end = i;
      break;
    }
  }
  if (start === 0 && end === lines.length) return undefined;
  return finish(lines.slice(start, end));
}

/** For each line, whether it begins inside a triple-quoted string (a small lexer: strings and comments). */
function tripleQuotedLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let open: '"""' | "'''" | undefined;
  for (const line of lines) {
    out.push(open !== undefined);
    let i = 0;
    while (i < line.length) {
      if (open !== undefined) {
        const close = line.indexOf(open, i);
        if (close === -1) break;
        open = undefined;
        i = close + 3;
        continue;
      }
      const c = line[i];
      if (c === "#") break;
      if (c === '"' || c === "'") {
        const triple = c.repeat(3);
        if (line.startsWith(triple, i)) {
          open = triple as '"""' | "'''";
          i += 3;
          continue;
        }
        // A one-line string: skip to its closing quote.
        i++;
        while (i < line.length && line[i] !== c) i += line[i] === "\\" ? 2 : 1;
      }
      i++;
    }
  }
  return out;
}
