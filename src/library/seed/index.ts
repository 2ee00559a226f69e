// The default library a new user starts with: tools the project wrote itself, each admitted
// through the same gate as any other (tests, properties, output schemas, generated inputs).
import { readdirSync, readFileSync } from "node:fs";
import { CrucibleError } from "../../errors.ts";
import type { AdmissionReport, Library } from "../library.ts";

const SEED_DIR = new URL("./", import.meta.url);

/**
 * The seed tools' specs: each `tools/<name>.json` manifest with its `source` path (relative to the
 * manifest, so `crucible tools add` takes a manifest as it is) replaced by the file's text. Dependencies are names; the library fills in hashes.
 */
export function seedSpecs(): Record<string, unknown>[] {
  const files = readdirSync(new URL("./tools/", SEED_DIR)).filter((f) => f.endsWith(".json")).sort();
  return files.map((file) => {
    const manifest = JSON.parse(readFileSync(new URL(`./tools/${file}`, SEED_DIR), "utf8")) as Record<string, unknown>;
    const source = manifest["source"];
    if (typeof source !== "string" || !/^\.\.\/(python|ts)\/[a-z0-9_]+\.(py|ts)$/u.test(source)) throw new CrucibleError("invalid_argument", `seed manifest ${file} names no source file`);
    return { ...manifest, source: readFileSync(new URL(source, new URL("./tools/", SEED_DIR)), "utf8"), provenance: { task: "seed tool written by the Crucible project" } };
  });
}

export interface SeedReport {
  readonly reports: readonly AdmissionReport[];
  readonly admitted: number;
  readonly refused: readonly AdmissionReport[];
  readonly ms: number;
}

/**
 * Admits every seed tool in one batch (one sandbox session per language). Already-stored seed
 * tools are kept as they are (same hash). Refused tools are reported, never stored.
 */
export async function seedLibrary(library: Library, options: { signal?: AbortSignal } = {}): Promise<SeedReport> {
  const t0 = performance.now();
  const reports = await library.addMany(seedSpecs(), { duplicates: false, ...options });
  const refused = reports.filter((r) => !r.admitted);
  return { reports, admitted: reports.length - refused.length, refused, ms: performance.now() - t0 };
}
