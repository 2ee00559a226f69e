/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
/** A byte count for people: 1536 → "1.5 KiB" (binary, the default) or "1.5 kB" (decimal), one decimal below 10. */
function format_bytes(bytes: number, binary: boolean = true): string {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError("bytes must be a finite number, zero or more");
  const base = binary ? 1024 : 1000;
  const units = binary ? ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] : ["B", "kB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let i = 0;
  while (value >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  if (i === 0) return `${Math.round(value)} B`;
  const text = value < 10 ? value.toFixed(1) : Math.round(value).toString();
  return `${text.replace(/\.0$/, "")} ${units[i]}`;
}
