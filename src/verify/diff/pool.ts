import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { Rng } from "./rng.ts";
import type { InputGenerator, Strategy } from "./types.ts";
import { boundaries, mutate } from "./values.ts";

/** An input about to be run, and how it was made. */
export interface Candidate {
  readonly args: readonly Wire[];
  readonly key: string;
  readonly strategy: Strategy;
}

interface Parent {
  readonly args: readonly Wire[];
  weight: number;
  /** The input made the versions' variables take values apart (Mokav's feedback). */
  divergent: boolean;
}

const MAX_PARENTS = 400;
const MAX_EXEMPLARS = 3;
/** Share of the mutation phase given to fresh random inputs, when there are types to draw from. */
const RANDOM_SHARE = 0.3;

/**
 * Where the search's inputs come from, in order: the seeds; boundary values around exemplars (the
 * seeds, or random inputs when there are none), interleaved with random inputs; then mutation of
 * the inputs that earned their place (seeds, and inputs with new or diverging variable values),
 * chosen by weight, with some fresh random inputs mixed in. Every input is made once.
 */
export class InputPool {
  private readonly rng: Rng;
  private readonly random: InputGenerator | undefined;
  private readonly maxChars: number;
  private readonly tried = new Set<string>();
  private readonly queue: Candidate[] = [];
  private readonly parents: Parent[] = [];
  private boundaryDone = false;
  private arity: number | null = null;

  constructor(rng: Rng, seeds: readonly (readonly Wire[])[], random: InputGenerator | undefined, maxChars: number) {
    this.rng = rng;
    this.random = random;
    this.maxChars = maxChars;
    for (const args of seeds) {
      const c = this.make(args, "seed");
      if (c) {
        this.queue.push(c);
        this.parents.push({ args, weight: 4, divergent: false });
      }
    }
  }

  /** Distinct inputs handed out so far. */
  get size(): number {
    return this.tried.size;
  }

  /** Up to `count` new inputs; empty when there is nothing left to make. */
  next(count: number): Candidate[] {
    const out: Candidate[] = [];
    while (out.length < count && this.queue.length > 0) out.push(this.queue.shift()!);
    // The seeds go alone first: they often suffice, and a boundary value that hangs both programs
    // would make them wait.
    if (out.length > 0 && !this.boundaryDone) return out;
    if (out.length < count && !this.boundaryDone) {
      this.boundaryDone = true;
      this.queue.push(...this.boundaryInputs());
      while (out.length < count && this.queue.length > 0) out.push(this.queue.shift()!);
    }
    for (let attempts = 0; out.length < count && attempts < count * 20; attempts++) {
      const c = this.parents.length === 0 || (this.random && this.rng.chance(RANDOM_SHARE)) ? this.randomOne() : this.mutant();
      if (c) out.push(c);
      else if (this.parents.length === 0 && !this.random) break;
    }
    return out;
  }

  /** Credits an input with what it made the programs do; inputs that did something new become parents. */
  reward(candidate: Candidate, score: { divergence: number; novelty: number }): void {
    if (score.divergence === 0 && score.novelty === 0) return;
    const weight = 1 + Math.min(score.novelty, 5) + 5 * Math.min(score.divergence, 10);
    this.parents.push({ args: candidate.args, weight, divergent: score.divergence > 0 });
    if (this.parents.length > MAX_PARENTS) {
      // Forget the lightest parent (never a seed, which sits at the front with weight 4).
      let lightest = this.parents.length - 1;
      for (let i = 1; i < this.parents.length; i++) if (this.parents[i]!.weight < this.parents[lightest]!.weight) lightest = i;
      this.parents.splice(lightest, 1);
    }
  }

  private make(args: readonly Wire[], strategy: Strategy): Candidate | null {
    const key = JSON.stringify(args);
    if (this.tried.has(key) || key.length > this.maxChars) return null;
    if (this.arity !== null && args.length !== this.arity) return null;
    this.arity ??= args.length;
    this.tried.add(key);
    return { args, key, strategy };
  }

  private randomBatch(count: number): Wire[][] {
    return this.random ? this.random(this.rng.seed(), count) : [];
  }

  private randomOne(): Candidate | null {
    const [args] = this.randomBatch(1);
    if (!args) return null;
    const c = this.make(args, "random");
    if (c && this.parents.length < MAX_EXEMPLARS) this.parents.push({ args, weight: 1, divergent: false });
    return c;
  }

  /** One argument at a time swept over the boundary values of its type, the others held at an exemplar's. */
  private boundaryInputs(): Candidate[] {
    const exemplars = this.parents.length > 0 ? this.parents.slice(0, MAX_EXEMPLARS).map((p) => p.args) : this.randomBatch(MAX_EXEMPLARS);
    const out: Candidate[] = [];
    const push = (args: readonly Wire[]) => {
      const c = this.make(args, "boundary");
      if (c) out.push(c);
    };
    for (const exemplar of exemplars) {
      const edges = exemplar.map((w) => boundaries(w));
      // The smallest input of all: every argument at its first boundary (zero, empty).
      push(exemplar.map((w, i) => edges[i]![0] ?? w));
      for (const [i, values] of edges.entries()) {
        for (const v of values) push(exemplar.map((w, j) => (j === i ? v : w)));
      }
    }
    // Random inputs go between them, so a search whose types are known does not wait for the sweep.
    const random = this.randomBatch(Math.ceil(out.length / 2))
      .map((args) => this.make(args, "random"))
      .filter((c): c is Candidate => c !== null);
    const mixed: Candidate[] = [];
    for (let i = 0; i < Math.max(out.length, random.length); i++) {
      if (out[i]) mixed.push(out[i]!);
      if (i % 2 === 0 && random[i / 2]) mixed.push(random[i / 2]!);
    }
    return mixed;
  }

  private pickParent(): Parent {
    let total = 0;
    for (const p of this.parents) total += p.weight;
    let r = this.rng.next() * total;
    for (const p of this.parents) {
      r -= p.weight;
      if (r < 0) return p;
    }
    return this.parents[this.parents.length - 1]!;
  }

  private mutant(): Candidate | null {
    const parent = this.pickParent();
    const args = [...parent.args];
    if (args.length === 0) return null;
    const steps = 1 + (this.rng.chance(0.5) ? 0 : this.rng.chance(0.5) ? 1 : this.rng.int(2, 4));
    for (let s = 0; s < steps; s++) {
      const i = this.rng.int(0, args.length - 1);
      const donors: Wire[] = [];
      for (let d = 0; d < 4; d++) {
        const other = this.rng.pick(this.parents).args[i];
        if (other !== undefined) donors.push(other);
      }
      // Now and then take the argument whole from another input (crossover).
      args[i] = this.rng.chance(0.1) && donors[0] !== undefined ? donors[0] : mutate(args[i]!, donors, this.rng);
    }
    return this.make(args, parent.divergent ? "feedback" : "mutation");
  }
}
