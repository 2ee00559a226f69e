/**
 * The structural check every tool call's arguments pass before any schema or handler sees them:
 * bounded nesting, element count and text size, only plain JSON values (no NaN or Infinity, which
 * an in-process client could send), no `__proto__` keys and no lone surrogates. Schemas then check
 * the shape; this stops the inputs that would make checking the shape itself expensive or unsafe.
 */

export interface InputBounds {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Array elements and object members, counted over the whole value. */
  readonly maxElements: number;
  /** UTF-16 code units over all strings and keys. */
  readonly maxStringChars: number;
}

export const DEFAULT_INPUT_BOUNDS: InputBounds = {
  maxDepth: 64,
  maxElements: 100_000,
  maxStringChars: 8 * 1024 * 1024,
};

/**
 * Returns `null` when `value` is within `bounds` and made of plain JSON, else one sentence saying
 * what is wrong and where (a JSON path like `$.args[3]`). Never throws, and never recurses on the
 * call stack, so a hostile nesting depth cannot overflow it.
 */
export function checkInputShape(value: unknown, bounds: InputBounds = DEFAULT_INPUT_BOUNDS): string | null {
  let elements = 0;
  let chars = 0;
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "$", depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    switch (typeof v) {
      case "string":
        chars += v.length;
        if (chars > bounds.maxStringChars) return `the arguments hold more than ${bounds.maxStringChars} characters of text in all (at ${path})`;
        if (!v.isWellFormed()) return `${path} contains a lone surrogate (malformed UTF-16)`;
        continue;
      case "number":
        if (!Number.isFinite(v)) return `${path} is ${String(v)}, which JSON cannot carry; send a finite number`;
        continue;
      case "boolean":
        continue;
      case "object":
        break;
      default:
        return `${path} is a ${typeof v}, which is not a JSON value`;
    }
    if (v === null) continue;
    if (depth >= bounds.maxDepth) return `${path} is nested deeper than ${bounds.maxDepth} levels`;
    if (Array.isArray(v)) {
      elements += v.length;
      if (elements > bounds.maxElements) return `the arguments hold more than ${bounds.maxElements} array elements and object members in all (at ${path})`;
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return `${path} is not a plain JSON object`;
    const keys = Object.keys(v);
    if (Object.getOwnPropertySymbols(v).length > 0) return `${path} has symbol keys, which JSON cannot carry`;
    elements += keys.length;
    if (elements > bounds.maxElements) return `the arguments hold more than ${bounds.maxElements} array elements and object members in all (at ${path})`;
    for (const key of keys) {
      if (key === "__proto__") return `${path} has a "__proto__" key, which is refused`;
      chars += key.length;
      if (!key.isWellFormed()) return `${path} has a key with a lone surrogate (malformed UTF-16)`;
      stack.push({ value: (v as Record<string, unknown>)[key], path: `${path}${/^[A-Za-z_$][\w$]*$/u.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, depth: depth + 1 });
    }
    if (chars > bounds.maxStringChars) return `the arguments hold more than ${bounds.maxStringChars} characters of text in all (at ${path})`;
  }
  return null;
}

/**
 * The JSON path of the first `__proto__` key in a parsed JSON value, or `null`. Transports check
 * each message with it right after `JSON.parse` (which keeps such a key as an own property), since
 * later copies would turn it into a prototype or drop it silently.
 */
export function findProtoKey(value: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: "$" }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], path: `${path}[${i}]` });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return path;
      stack.push({ value: (v as Record<string, unknown>)[key], path: `${path}.${key}` });
    }
  }
  return null;
}
