import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, parse } from "node:path";

/** Files of the guest directory that run inside: the harnesses and codecs, nothing else. */
export function isGuestRuntimeFile(name: string): boolean {
  return /^[a-z-]+\.(py|mjs|cjs)$/.test(name);
}

/**
 * When Crucible runs as root it starts every sandbox as an unprivileged host user (see launch.ts),
 * so the files bound into the sandbox must be readable by that user. A checkout in a private
 * directory (`mktemp -d` is 0700) or a Node runtime under `/root` is not; then the guest harness
 * and the `node` binary are staged once into a root-owned, world-readable directory named by their
 * content, and reused by every later process. Returns the directories to bind.
 */
export function guestReadableRuntime(guestDir: string, nodeHome: string | null): { guestDir: string; nodeHome: string | null } {
  const nodeBinary = nodeHome ? join(nodeHome, "bin", "node") : null;
  const needsGuest = !worldReadable(guestDir, true);
  const needsNode = nodeBinary !== null && !worldReadable(nodeBinary, false);
  if (!needsGuest && !needsNode) return { guestDir, nodeHome };

  const files = readdirSync(guestDir).filter(isGuestRuntimeFile).sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update(readFileSync(join(guestDir, f)));
  if (nodeBinary) {
    const st = statSync(nodeBinary);
    hash.update(`${nodeBinary}:${st.size}:${st.mtimeMs}:${st.ino}`);
  }
  const final = join(tmpdir(), `crucible-runtime-${hash.digest("hex").slice(0, 16)}`);
  if (!trusted(final)) {
    const staging = mkdtempSync(join(tmpdir(), "crucible-stage-"));
    mkdirSync(join(staging, "guest"));
    for (const f of files) copyFileSync(join(guestDir, f), join(staging, "guest", f));
    if (nodeBinary) {
      mkdirSync(join(staging, "node", "bin"), { recursive: true });
      try {
        linkSync(nodeBinary, join(staging, "node", "bin", "node"));
      } catch {
        copyFileSync(nodeBinary, join(staging, "node", "bin", "node"));
      }
      chmodSync(join(staging, "node", "bin", "node"), 0o755);
    }
    for (const dir of [staging, join(staging, "guest"), join(staging, "node"), join(staging, "node", "bin")]) {
      try {
        chmodSync(dir, 0o755);
      } catch {
        // node/ is absent without a runtime
      }
    }
    for (const f of files) chmodSync(join(staging, "guest", f), 0o644);
    try {
      renameSync(staging, final);
    } catch {
      // Another process staged the same content first, or something else holds the name.
      if (trusted(final)) rmSync(staging, { recursive: true, force: true });
      else return { guestDir: join(staging, "guest"), nodeHome: nodeBinary ? join(staging, "node") : null };
    }
  }
  return { guestDir: join(final, "guest"), nodeHome: nodeBinary ? join(final, "node") : null };
}

/** A staged directory we may reuse: a real directory owned by us that nobody else can write. */
function trusted(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** True when "other" users can reach `path` (x on every ancestor) and read it. */
function worldReadable(path: string, isDir: boolean): boolean {
  try {
    const st = statSync(path);
    if ((st.mode & (isDir ? 0o005 : 0o004)) !== (isDir ? 0o005 : 0o004)) return false;
    const root = parse(path).root;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === root) return true;
    }
  } catch {
    return false;
  }
}
