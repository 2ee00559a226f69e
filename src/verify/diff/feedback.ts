import type { ValueProfile } from "./side.ts";

/**
 * Mokav's execution feedback without the LLM: for each version, the set of values every variable
 * has taken over all calls so far. An input is interesting when, on it, a variable of one version
 * takes a value that the same variable never took in the other version (on any input), or when the
 * two versions' variables take different values on that very input: the states have come apart
 * even if the outputs have not yet, so mutating that input is a good bet. Inputs that make a
 * version reach values it never reached before are kept too (plain value-profile coverage).
 */
export class ValueFeedback {
  private readonly seen: [Map<string, Set<string>>, Map<string, Set<string>>] = [new Map<string, Set<string>>(), new Map<string, Set<string>>()];

  /**
   * Adds one input's profiles (either may be missing) and scores the input. `divergence` counts
   * values one version's variables took on this input that the other's never took anywhere, plus
   * values that differ between the two on this input; `novelty` counts values new to their version.
   */
  observe(a: ValueProfile | undefined, b: ValueProfile | undefined): { divergence: number; novelty: number } {
    let novelty = 0;
    for (const [side, profile] of [a, b].entries()) {
      if (!profile) continue;
      const seen = this.seen[side]!;
      for (const [name, values] of profile) {
        let set = seen.get(name);
        if (!set) seen.set(name, (set = new Set()));
        for (const v of values) {
          if (!set.has(v)) {
            set.add(v);
            novelty++;
          }
        }
      }
    }
    if (!a || !b) return { divergence: 0, novelty };
    let divergence = 0;
    for (const [mine, theirs, theirSeen] of [
      [a, b, this.seen[1]],
      [b, a, this.seen[0]],
    ] as const) {
      for (const [name, values] of mine) {
        const other = theirSeen.get(name);
        if (!other) continue;
        const here = new Set(theirs.get(name) ?? []);
        for (const v of values) {
          if (!other.has(v)) divergence += 2;
          else if (!here.has(v)) divergence += 1;
        }
      }
    }
    return { divergence, novelty };
  }

  /** Variables shared by both versions (for reports and tests). */
  sharedVariables(): string[] {
    return [...this.seen[0].keys()].filter((k) => this.seen[1].has(k)).sort();
  }
}
