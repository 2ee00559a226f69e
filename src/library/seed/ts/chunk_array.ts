/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
/** Splits a list into consecutive chunks of `size` items (the last may be shorter). */
function chunk_array(items: unknown[], size: number): unknown[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError("size must be a whole number, 1 or more");
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
