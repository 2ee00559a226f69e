/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Merges `override` into `base` recursively: objects merge key by key, anything else (arrays included) is replaced. */
function deep_merge(base: { [key: string]: Json }, override: { [key: string]: Json }): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(base)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const [k, v] of Object.entries(override)) {
    const prior = Object.hasOwn(out, k) ? out[k] : undefined;
    const value = isObject(prior) && isObject(v) ? deep_merge(prior, v) : v;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
