/** Types for codec.mjs (tagged JSON between host and guest); see that file for the format. */
export type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };

export declare class Tuple {
  readonly items: readonly unknown[];
  constructor(items: readonly unknown[]);
}
export declare class FrozenSet<T = unknown> extends Set<T> {}
/** An exception raised by guest code, as data. */
export declare class GuestException {
  readonly type: string;
  readonly message: string;
  readonly traceback: string;
  constructor(type: string, message: string, traceback?: string);
}
/**
 * What a session call returns instead of a value whose wire text is larger than the caller's
 * `digestOverBytes`: the SHA-256 (hex) of that text and its length. Equal digests mean equal wire texts.
 */
export declare class Digest {
  readonly sha256: string;
  readonly bytes: number;
  constructor(sha256: string, bytes: number);
}
/** A guest value with no JSON form (a function, a class instance), carried by its repr. */
export declare class Opaque {
  readonly repr: string;
  constructor(repr: string);
}
/** A Python complex number. */
export declare class Complex {
  readonly real: number;
  readonly imag: number;
  constructor(real: number, imag: number);
}
/** A value already in wire form; `encode` passes it through untouched. */
export declare class Encoded {
  readonly wire: Wire;
  constructor(wire: Wire);
}
export declare class CodecError extends Error {}
/** Encodes a host value for the guest. Throws CodecError on nesting past 200 levels and on functions/symbols. */
export declare function encode(value: unknown, depth?: number): Wire;
/** Decodes a guest value. Throws CodecError on unknown tags and malformed tagged objects. */
export declare function decode(wire: unknown, depth?: number): unknown;
/** Decodes the `exception` field of a guest frame. */
export declare function decodeException(wire: unknown): GuestException;
