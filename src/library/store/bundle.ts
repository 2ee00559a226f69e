// Export bundles: JSON lines, one tool per line with its hash and full verification history.
// Import trusts nothing in a bundle: every spec and record is validated and every hash recomputed.
import { CrucibleError, isCrucibleError } from "../../errors.ts";
import { parseToolSpec, parseVerificationRecord, toolHash, type ToolSpec, type VerificationRecord } from "../tool.ts";
import { BUNDLE_FORMAT, type BundleEntry } from "./store.ts";

export interface CheckedEntry {
  readonly spec: ToolSpec;
  readonly createdAt: string;
  readonly verifications: readonly VerificationRecord[];
}

/** Largest bundle line accepted (a spec is capped at 8 MiB; records add a little). */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** One bundle line (no trailing newline). */
export function bundleLine(entry: BundleEntry): string {
  return JSON.stringify(entry);
}

/**
 * Parses a bundle's text: JSON lines, blank lines ignored. Every bad line is reported at once,
 * by line number.
 * @throws CrucibleError `invalid_argument` with `details.issues`.
 */
export function parseBundle(text: string, source = "the bundle"): BundleEntry[] {
  const entries: BundleEntry[] = [];
  const issues: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    if (line.length > MAX_LINE_CHARS) {
      issues.push(`line ${i + 1}: longer than ${MAX_LINE_CHARS} characters`);
      return;
    }
    try {
      entries.push(JSON.parse(line) as BundleEntry);
    } catch (error) {
      issues.push(`line ${i + 1}: not JSON (${(error as Error).message})`);
    }
  });
  if (issues.length > 0) throw bundleError(source, issues);
  try {
    validateBundle(entries);
  } catch (error) {
    if (isCrucibleError(error)) throw new CrucibleError("invalid_argument", error.message.replace("the bundle", source), { details: error.details, cause: error });
    throw error;
  }
  return entries;
}

/**
 * Checks bundle entries: format tag, spec, records, hash recomputed from the spec, no duplicate
 * name@version with different hashes inside the bundle.
 * @throws CrucibleError `invalid_argument` listing every bad entry (1-based, as lines are numbered).
 */
export function validateBundle(entries: readonly unknown[]): CheckedEntry[] {
  const issues: string[] = [];
  const out: CheckedEntry[] = [];
  const seen = new Map<string, string>();
  entries.forEach((raw, i) => {
    const at = `entry ${i + 1}`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      issues.push(`${at}: not an object`);
      return;
    }
    const e = raw as Record<string, unknown>;
    if (e["format"] !== BUNDLE_FORMAT) {
      issues.push(`${at}: format is ${JSON.stringify(e["format"])}, expected ${JSON.stringify(BUNDLE_FORMAT)}`);
      return;
    }
    try {
      const spec = parseToolSpec(e["spec"]);
      const hash = toolHash(spec);
      if (e["hash"] !== hash) {
        issues.push(`${at} (${spec.name}@${spec.version}): hash ${JSON.stringify(e["hash"])} does not match its spec (sha256 ${hash}); the entry was altered or damaged`);
        return;
      }
      const records = e["verifications"];
      if (!Array.isArray(records) || records.length === 0) {
        issues.push(`${at} (${spec.name}@${spec.version}): verifications must be a non-empty list`);
        return;
      }
      const createdAt = e["createdAt"];
      if (typeof createdAt !== "string" || Number.isNaN(Date.parse(createdAt))) {
        issues.push(`${at} (${spec.name}@${spec.version}): createdAt must be an ISO 8601 date-time`);
        return;
      }
      const key = `${spec.name}@${spec.version}`;
      const other = seen.get(key);
      if (other !== undefined && other !== hash) {
        issues.push(`${at}: ${key} appears twice with different hashes`);
        return;
      }
      seen.set(key, hash);
      out.push({ spec, createdAt, verifications: records.map((r) => parseVerificationRecord(r)) });
    } catch (error) {
      if (!isCrucibleError(error)) throw error;
      issues.push(`${at}: ${error.message}`);
    }
  });
  if (issues.length > 0) throw bundleError("the bundle", issues);
  return out;
}

function bundleError(source: string, issues: readonly string[]): CrucibleError {
  const shown = issues.slice(0, 5).join("; ");
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
  return new CrucibleError("invalid_argument", `${source} was not imported, nothing was written: ${shown}${more}`, { details: { issues } });
}
