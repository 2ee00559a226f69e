import { readFile } from "node:fs/promises";
import { CrucibleError } from "../errors.ts";

/**
 * A file the user named, as UTF-8 text. Rejects with `invalid_argument` naming the file and what it
 * was for (`what`: "reference", "schema"…) when it is missing or cannot be read.
 */
export async function readTextFile(path: string, what = "file"): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new CrucibleError("invalid_argument", code === "ENOENT" ? `no such ${what}: ${path}` : `cannot read ${what} ${path}: ${code ?? String(cause)}`, { cause });
  }
}
