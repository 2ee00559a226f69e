/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** A CSS hex colour (#rgb, #rrggbb, with or without #) as red, green and blue from 0 to 255. */
function hex_to_rgb(hex: string): Rgb {
  let h = hex.trim().replace(/^#/, "");
  if (/^[0-9a-fA-F]{3}$/.test(h)) h = [...h].map((c) => c + c).join("");
  if (!/^[0-9a-fA-F]{6}$/.test(h)) throw new RangeError(`${JSON.stringify(hex)} is not a hex colour like #1a2b3c or #abc`);
  return { r: parseInt(h.slice(0, 2), 16), g: parseInt(h.slice(2, 4), 16), b: parseInt(h.slice(4, 6), 16) };
}
