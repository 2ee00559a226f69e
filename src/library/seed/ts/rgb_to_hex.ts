/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
/** Red, green and blue (whole numbers 0 to 255) as a lower-case CSS hex colour #rrggbb. */
function rgb_to_hex(r: number, g: number, b: number): string {
  const part = (v: number, name: string): string => {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${name} must be a whole number from 0 to 255, not ${v}`);
    return v.toString(16).padStart(2, "0");
  };
  return `#${part(r, "r")}${part(g, "g")}${part(b, "b")}`;
}
