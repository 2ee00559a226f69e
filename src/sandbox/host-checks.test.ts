import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { timingChecks } from "./host-checks.ts";

function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "crucible-root-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  }
  return root;
}

describe("timingChecks", () => {
  it("should pass a host tuned for steady timings", async () => {
    const root = fakeRoot({
      "proc/swaps": "Filename Type Size Used Priority",
      "sys/devices/system/cpu/smt/active": "0",
      "sys/devices/system/cpu/cpufreq/policy0/scaling_governor": "performance",
      "sys/kernel/mm/transparent_hugepage/enabled": "always madvise [never]",
      "proc/sys/kernel/core_pattern": "core",
      "proc/sys/fs/protected_hardlinks": "1",
    });
    const checks = await timingChecks(root);
    expect(checks.map((c) => c.name)).toEqual(["swap", "smt", "cpu frequency", "transparent hugepages", "core pattern", "hard link protection"]);
    expect(checks.every((c) => c.ok)).toBe(true);
  });

  it("should warn, with the command that fixes it, about each noisy setting", async () => {
    const root = fakeRoot({
      "proc/swaps": "Filename Type Size Used Priority\n/swapfile file 1024 0 -2",
      "sys/devices/system/cpu/smt/active": "1",
      "sys/devices/system/cpu/cpufreq/policy0/scaling_governor": "powersave",
      "sys/devices/system/cpu/cpufreq/boost": "1",
      "sys/kernel/mm/transparent_hugepage/enabled": "[always] madvise never",
      "proc/sys/kernel/core_pattern": "|/usr/lib/systemd/systemd-coredump %P",
      "proc/sys/fs/protected_hardlinks": "0",
    });
    const checks = await timingChecks(root);
    expect(checks.filter((c) => !c.ok)).toHaveLength(7);
    expect(checks.every((c) => c.ok || (c.warning === true && typeof c.fix === "string"))).toBe(true);
    expect(checks.find((c) => c.name === "core pattern")?.detail).toContain("systemd-coredump");
  });

  it("should skip what the host does not have", async () => {
    expect(await timingChecks(fakeRoot({}))).toEqual([]);
  });
});
