import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The shared datasets, beside the repository (never copied into it). */
export const DATA = fileURLToPath(new URL("../../../../shared/datasets/", import.meta.url));

/** A fresh reference cache, so every run profiles the references itself. */
export function freshCache(): string {
  return mkdtempSync(join(tmpdir(), "crucible-agreement-"));
}

/** These tests grade real benchmarks end to end: minutes, not seconds. */
export const LONG = 600_000;
