#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The crucible command's entry: turn on Node's compile cache before anything else loads, so later
// starts reuse the stripped and compiled modules (about a quarter of `crucible run`'s start-up).
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./cli.ts");
