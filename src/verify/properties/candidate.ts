// The function under check, as the property search calls it: many inputs per round trip, each with
// its own verdict. A session loaded with the candidate's code is one; the tool library's toolbox
// session (many tools in one interpreter, called by key) is another.
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import { CrucibleError } from "../../errors.ts";
import type { Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict } from "../../sandbox/verdict.ts";

export interface CandidateCallOptions {
  readonly timeoutMs: number;
  /** Make no more calls after the first that does not end `ok` (the result is then shorter). */
  readonly stopOnFailure: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Calls the checked function on argument lists (wire form), in order. Values come back as
 * `Encoded` wire (the `raw` form), so outputs reach the judge exactly as the guest wrote them.
 * The result has one verdict per argument list, or fewer after a failure with `stopOnFailure`.
 */
export interface Candidate {
  callMany(argsList: readonly (readonly Wire[])[], options: CandidateCallOptions): Promise<CallVerdict[]>;
}

/** A session with the candidate's code loaded: calls `entryPoint` with the arguments. */
export function sessionCandidate(session: Session, entryPoint: string): Candidate {
  return {
    callMany: (argsList, options) =>
      callAll(
        session,
        entryPoint,
        argsList.map((args) => args.map((a) => new Encoded(a))),
        { timeoutMs: options.timeoutMs, raw: true, ...(options.signal ? { signal: options.signal } : {}) },
        options.stopOnFailure,
      ),
  };
}

/** What `callAll` needs of a session: `Session`, or a library toolbox session (entry = tool key). */
export interface ManyCaller {
  callMany(
    entry: string,
    argsList: readonly (readonly unknown[])[],
    options: { readonly timeoutMs?: number; readonly raw?: boolean; readonly stopOnFailure?: boolean; readonly signal?: AbortSignal },
  ): Promise<CallVerdict[]>;
}

/**
 * `callMany` until every argument list has its verdict. A batch that ends early (results past the
 * size cap, or a reply with no verdict per call) goes on with the rest, and a call the batch gave
 * no verdict of its own is made alone, so each verdict belongs to its call. With `stopOnFailure`
 * the result ends at the first verdict that is not `ok`.
 * @throws CrucibleError `protocol` when a call alone comes back with no verdict.
 */
export async function callAll(
  session: ManyCaller,
  entry: string,
  argsList: readonly (readonly unknown[])[],
  options: { readonly timeoutMs?: number; readonly raw?: boolean; readonly signal?: AbortSignal },
  stopOnFailure = false,
): Promise<CallVerdict[]> {
  const out: CallVerdict[] = [];
  while (out.length < argsList.length) {
    const rest = argsList.slice(out.length);
    const got = await session.callMany(entry, rest, { ...options, stopOnFailure });
    const last = got.at(-1);
    if (got.length === rest.length || (stopOnFailure && last !== undefined && last.status !== "ok")) {
      out.push(...got);
      break;
    }
    if (last !== undefined && last.status === "ok") {
      out.push(...got);
      continue;
    }
    // A short batch ending in a failure (or empty) without stopOnFailure: that failure is the
    // reply's, not necessarily its call's. Keep the verdicts before it; make that call on its own.
    out.push(...got.slice(0, -1));
    const [alone] = await session.callMany(entry, [argsList[out.length]!], { ...options, stopOnFailure });
    if (alone === undefined) throw new CrucibleError("protocol", `a call of ${entry} came back with no verdict`);
    out.push(alone);
    if (stopOnFailure && alone.status !== "ok") break;
  }
  return out;
}
