/**
 * Tagged JSON: the only way values cross the sandbox boundary (never pickle, never eval).
 *
 * Plain JSON carries null, booleans, strings, safe integers, finite non-integral floats, arrays
 * (Python lists) and string-keyed objects (Python dicts). Everything else is `{"$t": tag, "v": …}`:
 * `tuple`, `set`, `frozenset`, `bytes` (base64), `int` (hex text, or decimal), `complex`
 * (`[real, imag]`), `float` (`nan`, `inf`,
 * `-inf`, `-0.0`, or an integral float such as `1.0`), `dict` (key/value pairs, for non-string keys
 * or a literal `$t` key), `exc` (type, message, traceback) and `repr` (a value with no JSON form,
 * shown by its repr). The Python side is `codec.py`. Plain JavaScript because it also runs inside
 * the JS guest, where loading the TypeScript stripper would cost every run ~45 ms; the host's
 * types are in `codec.d.mts`.
 *
 * On the host: Python ints become numbers when safe and bigints otherwise (a bigint always goes
 * back as an int); floats become numbers, so an integral Python float such as 2.0 arrives as 2 and
 * would go back as the int 2 (Python compares them equal). Tuples are `Tuple`, sets `Set`,
 * frozensets `FrozenSet`, bytes `Uint8Array`, dicts with non-string keys `Map`, exceptions
 * `GuestException`, unrepresentable values `Opaque`.
 */

export class Tuple {
  /** @param {readonly unknown[]} items */
  constructor(items) {
    this.items = Object.freeze([...items]);
  }
}

export class FrozenSet extends Set {}

/** An exception raised by guest code, as data. */
export class GuestException {
  constructor(type, message, traceback = "") {
    this.type = type;
    this.message = message;
    this.traceback = traceback;
  }
}

/** A guest value with no JSON form (a function, a class instance), carried by its repr. */
/** A Python complex number. */
export class Complex {
  constructor(real, imag) {
    this.real = real;
    this.imag = imag;
  }
}

/**
 * A value already in wire form (for example a benchmark input parsed straight from its JSON text,
 * so `1.0` stays a float and big ints stay exact): `encode` passes it through untouched.
 */
export class Encoded {
  constructor(wire) {
    this.wire = wire;
  }
}

/**
 * What a session call returns instead of a value whose wire text is larger than the caller's
 * `digestOverBytes`: the SHA-256 of that text and its length. Two digests are equal exactly when
 * the two wire texts are.
 */
export class Digest {
  constructor(sha256, bytes) {
    this.sha256 = sha256;
    this.bytes = bytes;
  }
}

export class Opaque {
  constructor(repr) {
    this.repr = repr;
  }
}

const MAX_DEPTH = 200;
const SAFE = Number.MAX_SAFE_INTEGER;

export class CodecError extends Error {
  name = "CodecError";
}

/** Encodes a host value for the guest. Throws on cycles, nesting past 200 levels, and functions. */
export function encode(value, depth = 0) {
  if (depth > MAX_DEPTH) throw new CodecError(`value nests deeper than ${MAX_DEPTH} levels`);
  const d = depth + 1;
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      if (Number.isNaN(value)) return { $t: "float", v: "nan" };
      if (value === Infinity) return { $t: "float", v: "inf" };
      if (value === -Infinity) return { $t: "float", v: "-inf" };
      if (Object.is(value, -0)) return { $t: "float", v: "-0.0" };
      // A whole double past 2**53 is still a float: sending it as an int would bring it back a bigint.
      if (Number.isInteger(value) && Math.abs(value) > SAFE) return { $t: "float", v: String(value) };
      return value;
    case "bigint":
      return { $t: "int", v: value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}` };
    case "object":
      break;
    default:
      throw new CodecError(`a ${typeof value} has no tagged-JSON form`);
  }
  if (value instanceof Encoded) return value.wire;
  if (Array.isArray(value)) return value.map((x) => encode(x, d));
  if (value instanceof Tuple) return { $t: "tuple", v: value.items.map((x) => encode(x, d)) };
  if (value instanceof FrozenSet) return { $t: "frozenset", v: [...value].map((x) => encode(x, d)) };
  if (value instanceof Set) return { $t: "set", v: [...value].map((x) => encode(x, d)) };
  if (value instanceof Uint8Array) return { $t: "bytes", v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  if (value instanceof Map) return { $t: "dict", v: [...value].map(([k, x]) => [encode(k, d), encode(x, d)]) };
  if (value instanceof GuestException) return { $t: "exc", v: { type: value.type, message: value.message, traceback: value.traceback } };
  if (value instanceof Error) return { $t: "exc", v: { type: value.name, message: value.message, traceback: value.stack ?? "" } };
  if (value instanceof Opaque) return { $t: "repr", v: value.repr };
  if (value instanceof Complex) return { $t: "complex", v: [encode(value.real, d), encode(value.imag, d)] };
  if (value instanceof Digest) throw new CodecError("a Digest stands for a value the host never received; it cannot be sent back");
  const out = {};
  const keys = Object.keys(value);
  if (keys.includes("$t")) {
    return { $t: "dict", v: keys.map((k) => [k, encode(value[k], d)]) };
  }
  for (const k of keys) define(out, k, encode(value[k], d));
  return out;
}

/**
 * Decodes a value that came from the guest. Throws on unknown tags and malformed tagged objects:
 * guest output is hostile input, and a value that does not decode is a protocol breach.
 */
export function decode(wire, depth = 0) {
  if (depth > MAX_DEPTH) throw new CodecError(`value nests deeper than ${MAX_DEPTH} levels`);
  const d = depth + 1;
  if (wire === null || typeof wire !== "object") return wire;
  if (Array.isArray(wire)) return wire.map((x) => decode(x, d));
  const obj = wire;
  if (!Object.hasOwn(obj, "$t")) {
    const out = {};
    for (const k of Object.keys(obj)) define(out, k, decode(obj[k], d));
    return out;
  }
  const tag = obj["$t"];
  const v = obj["v"];
  switch (tag) {
    case "tuple":
      return new Tuple(list(v, tag).map((x) => decode(x, d)));
    case "set":
      return new Set(list(v, tag).map((x) => decode(x, d)));
    case "frozenset":
      return new FrozenSet(list(v, tag).map((x) => decode(x, d)));
    case "bytes":
      return new Uint8Array(Buffer.from(text(v, tag), "base64"));
    case "int": {
      const s = text(v, tag);
      const hex = /^(-?)0[xX]([0-9a-fA-F]{1,4000000})$/.exec(s);
      if (hex) {
        const magnitude = BigInt(`0x${hex[2]}`);
        return hex[1] ? -magnitude : magnitude;
      }
      if (!/^-?\d{1,100000}$/.test(s)) throw new CodecError("malformed int");
      return BigInt(s);
    }
    case "complex": {
      const parts = list(v, tag);
      if (parts.length !== 2) throw new CodecError("malformed complex");
      const real = decode(parts[0], d);
      const imag = decode(parts[1], d);
      if (typeof real !== "number" || typeof imag !== "number") throw new CodecError("malformed complex");
      return new Complex(real, imag);
    }
    case "float": {
      const s = text(v, tag);
      if (s === "nan") return NaN;
      if (s === "inf") return Infinity;
      if (s === "-inf") return -Infinity;
      const n = Number(s);
      if (s.trim() === "" || Number.isNaN(n)) throw new CodecError("malformed float");
      return n;
    }
    case "dict": {
      const m = new Map();
      for (const pair of list(v, tag)) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new CodecError("malformed dict pair");
        m.set(decode(pair[0], d), decode(pair[1], d));
      }
      return allStringKeys(m) ? mapToObject(m) : m;
    }
    case "exc": {
      if (v === null || typeof v !== "object") throw new CodecError("malformed exception");
      const e = v;
      return new GuestException(String(e["type"] ?? "Exception"), String(e["message"] ?? ""), String(e["traceback"] ?? ""));
    }
    case "repr":
      return new Opaque(text(v, tag));
    case "digest": {
      if (v === null || typeof v !== "object" || typeof v["sha256"] !== "string" || typeof v["bytes"] !== "number") {
        throw new CodecError("malformed digest");
      }
      return new Digest(v["sha256"], v["bytes"]);
    }
    default:
      throw new CodecError(`unknown tag ${JSON.stringify(tag)}`);
  }
}

/** Decodes a guest exception object (the `exception` field of a verdict frame). */
export function decodeException(wire) {
  return decode({ $t: "exc", v: wire });
}

function define(target, key, value) {
  // Never assign: a key named "__proto__" must stay data, not become the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function list(v, tag) {
  if (!Array.isArray(v)) throw new CodecError(`malformed ${tag}`);
  return v;
}

function text(v, tag) {
  if (typeof v !== "string") throw new CodecError(`malformed ${tag}`);
  return v;
}

function allStringKeys(m) {
  // A literal "$t" key was what forced the pair form; anything else non-string stays a Map.
  for (const k of m.keys()) if (typeof k !== "string") return false;
  return m.size > 0 && m.has("$t");
}

function mapToObject(m) {
  const out = {};
  for (const [k, v] of m) define(out, k, v);
  return out;
}
