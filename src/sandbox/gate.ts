import { CrucibleError, throwIfAborted } from "../errors.ts";

/**
 * Admits at most `concurrency` holders at once and queues at most `maxQueued` more; a caller past
 * that gets `busy` at once instead of an unbounded queue. Waiting honours an AbortSignal.
 */
export class Gate {
  readonly concurrency: number;
  readonly maxQueued: number;
  private active = 0;
  private readonly waiting: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];

  constructor(concurrency: number, maxQueued: number) {
    this.concurrency = concurrency;
    this.maxQueued = maxQueued;
  }

  get stats(): { active: number; queued: number } {
    return { active: this.active, queued: this.waiting.length };
  }

  /** Waits for a place; the returned function gives it back (call it exactly once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    throwIfAborted(signal, "waiting for a sandbox");
    if (this.active < this.concurrency) {
      this.active++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxQueued) {
      throw new CrucibleError(
        "busy",
        `the sandbox is busy: ${this.active} runs active and ${this.waiting.length} queued (the queue holds ${this.maxQueued}); retry later or raise maxQueued`,
        { details: { active: this.active, queued: this.waiting.length, maxQueued: this.maxQueued } },
      );
    }
    await new Promise<void>((resolve, reject) => {
      const entry: (typeof this.waiting)[number] = { resolve, reject };
      if (signal) {
        entry.signal = signal;
        entry.onAbort = () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new CrucibleError("aborted", "cancelled while waiting for a sandbox", { cause: signal.reason }));
        };
        signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      this.waiting.push(entry);
    });
    return this.releaser();
  }

  /** Rejects everyone waiting (used on close). */
  rejectAll(error: unknown): void {
    for (const entry of this.waiting.splice(0)) {
      if (entry.onAbort) entry.signal?.removeEventListener("abort", entry.onAbort);
      entry.reject(error);
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        if (next.onAbort) next.signal?.removeEventListener("abort", next.onAbort);
        next.resolve();
      } else {
        this.active--;
      }
    };
  }
}
