import { describe, expect, it } from "vitest";
import { CrucibleError, isCrucibleError } from "../errors.ts";
import { Gate } from "./gate.ts";

/** Lets every already-settled promise callback run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe("Gate", () => {
  it("should admit up to `concurrency` holders at once and queue the rest", async () => {
    const gate = new Gate(2, 10);
    const a = await gate.acquire();
    const b = await gate.acquire();
    const c = track(gate.acquire());
    await flush();
    expect(c.settled).toBe(false);
    expect(gate.stats).toStrictEqual({ active: 2, queued: 1 });
    a();
    await flush();
    expect(c.settled).toBe(true);
    expect(gate.stats).toStrictEqual({ active: 2, queued: 0 });
    b();
    c.value!();
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });

  it("should hand places to waiters in the order they came", async () => {
    const gate = new Gate(1, 10);
    const first = await gate.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      gate.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    first();
    for (const waiter of waiters) (await waiter)();
    expect(order).toStrictEqual([1, 2, 3]);
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });

  it("should never have more than `concurrency` holders, under load", async () => {
    const gate = new Gate(3, 100);
    let holding = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const release = await gate.acquire();
        holding++;
        most = Math.max(most, holding);
        await new Promise((resolve) => setTimeout(resolve, i % 3));
        holding--;
        release();
      }),
    );
    expect(most).toBe(3);
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });

  it("should answer busy at once, with details, when the queue is full", async () => {
    const gate = new Gate(1, 2);
    await gate.acquire();
    const queued = [track(gate.acquire()), track(gate.acquire())];
    const error = await gate.acquire().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCrucibleError(error, "busy")).toBe(true);
    expect((error as CrucibleError).details).toStrictEqual({ active: 1, queued: 2, maxQueued: 2 });
    expect((error as CrucibleError).message).toMatch(/maxQueued/);
    // The refusal took no place in the queue.
    expect(gate.stats).toStrictEqual({ active: 1, queued: 2 });
    expect(queued.every((q) => !q.settled)).toBe(true);
  });

  it("should answer busy straight away when maxQueued is 0 and every place is taken", async () => {
    const gate = new Gate(1, 0);
    await gate.acquire();
    await expect(gate.acquire()).rejects.toMatchObject({ code: "busy" });
  });

  it("should reject a queued waiter with aborted when its signal aborts, and free its queue slot", async () => {
    const gate = new Gate(1, 1);
    const holder = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    expect(gate.stats.queued).toBe(1);
    // With the one slot taken the queue is full…
    await expect(gate.acquire()).rejects.toMatchObject({ code: "busy" });
    const reason = new Error("user gave up");
    controller.abort(reason);
    const error = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCrucibleError(error, "aborted")).toBe(true);
    expect((error as CrucibleError).cause).toBe(reason);
    // …and the aborted waiter's slot is free again for someone else.
    expect(gate.stats).toStrictEqual({ active: 1, queued: 0 });
    const next = track(gate.acquire());
    expect(gate.stats.queued).toBe(1);
    holder();
    await flush();
    expect(next.settled).toBe(true);
    expect(next.value).toBeTypeOf("function");
    expect(gate.stats).toStrictEqual({ active: 1, queued: 0 });
  });

  it("should refuse with aborted at once when the signal is already aborted", async () => {
    const gate = new Gate(1, 1);
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    const error = await gate.acquire(controller.signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Callers branch on CrucibleError codes; an abort must look the same before or during the wait.
    expect(isCrucibleError(error, "aborted")).toBe(true);
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });

  it("should keep a place once granted, even if the signal aborts afterwards", async () => {
    const gate = new Gate(1, 1);
    const holder = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    holder();
    const release = await waiting;
    controller.abort();
    await flush();
    expect(gate.stats).toStrictEqual({ active: 1, queued: 0 });
    release();
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });

  it("should make release idempotent: a second call gives back nothing", async () => {
    const gate = new Gate(1, 5);
    const release = await gate.acquire();
    const a = track(gate.acquire());
    const b = track(gate.acquire());
    release();
    release();
    release();
    await flush();
    // Only one waiter got the one place.
    expect([a.settled, b.settled]).toStrictEqual([true, false]);
    expect(gate.stats).toStrictEqual({ active: 1, queued: 1 });
    a.value!();
    await flush();
    b.value!();
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
    release();
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });

  it("should reject every waiter with the given error on rejectAll, and keep the holders", async () => {
    const gate = new Gate(1, 5);
    const holder = await gate.acquire();
    const controller = new AbortController();
    const waiters = [gate.acquire(), gate.acquire(controller.signal), gate.acquire()];
    const closed = new CrucibleError("closed", "the sandbox was closed");
    gate.rejectAll(closed);
    const results = await Promise.allSettled(waiters);
    expect(results.map((r): unknown => (r.status === "rejected" ? r.reason : r.status))).toStrictEqual([closed, closed, closed]);
    expect(gate.stats).toStrictEqual({ active: 1, queued: 0 });
    // A later abort of a rejected waiter's signal changes nothing.
    controller.abort();
    expect(gate.stats).toStrictEqual({ active: 1, queued: 0 });
    holder();
    expect(gate.stats).toStrictEqual({ active: 0, queued: 0 });
  });
});
