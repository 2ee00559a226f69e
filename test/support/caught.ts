import { expect } from "vitest";
import { CrucibleError } from "../../src/errors.ts";

/** The CrucibleError `fn` throws; fails the test when it throws something else or nothing. */
export function caught(fn: () => unknown): CrucibleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CrucibleError);
    return error as CrucibleError;
  }
  throw new Error("expected a CrucibleError, but nothing was thrown");
}
