/**
 * Python's `array` typecodes, as `multiprocessing.Value` / `Array` take them, mapped to the
 * typed array that stores each. A value wraps exactly as an element of that typed array does
 * (`Int8Array` for 'b': 300 → 44; fractions truncate toward zero; NaN → 0 for integer codes);
 * 'q' / 'Q' hold bigints, as BigInt64Array / BigUint64Array do.
 *
 *   code  C type               typed array       element
 *   ----  -------------------  ----------------  -------
 *   b     signed char          Int8Array         number
 *   B     unsigned char        Uint8Array        number
 *   h     signed short         Int16Array        number
 *   H     unsigned short       Uint16Array       number
 *   i     signed int           Int32Array        number
 *   I     unsigned int         Uint32Array       number
 *   q     signed long long     BigInt64Array     bigint
 *   Q     unsigned long long   BigUint64Array    bigint
 *   f     float                Float32Array      number
 *   d     double               Float64Array      number
 *
 * The code's index in CODES is what a Value or SharedArray stores in its header word.
 */
import { rangeError, typeError } from '../primitives/errors.js';

/** A typecode of Python's `array` module that Value and SharedArray accept. */
export type Typecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'q' | 'Q' | 'f' | 'd';

/** What one element of typecode `C` reads as: bigint for 'q' / 'Q', number otherwise. */
export type ElementOf<C extends Typecode> = C extends 'q' | 'Q' ? bigint : number;

/** The typed array class of each code (`TypedArrayOf<'d'>` is `Float64Array`). */
export interface TypedArrays {
  b: Int8Array;
  B: Uint8Array;
  h: Int16Array;
  H: Uint16Array;
  i: Int32Array;
  I: Uint32Array;
  q: BigInt64Array;
  Q: BigUint64Array;
  f: Float32Array;
  d: Float64Array;
}
export type TypedArrayOf<C extends Typecode> = TypedArrays[C];

/** Any of the typed arrays above. */
export type AnyTyped = TypedArrays[Typecode];
export type TypedClass = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => AnyTyped;

export const CODES: readonly Typecode[] = ['b', 'B', 'h', 'H', 'i', 'I', 'q', 'Q', 'f', 'd'];
const CLASSES: readonly TypedClass[] = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
];

/** What a typecode means: its index in CODES, typed array class and element size. */
export interface CodeInfo {
  readonly code: Typecode;
  readonly index: number;
  readonly View: TypedClass;
  readonly size: number;
  readonly big: boolean;
  /** An integer code of at most 32 bits (read and written with Atomics). */
  readonly small: boolean;
}

const INFOS: readonly CodeInfo[] = CODES.map((code, index) => {
  const View = CLASSES[index]!;
  const size = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return { code, index, View, size, big: code === 'q' || code === 'Q', small: index < 6 };
});

/** Check a typecode argument: `TypeError` if not a string, `RangeError` if not one of CODES. */
export function codeInfo(code: unknown, what: string): CodeInfo {
  if (typeof code !== 'string') throw typeError(`${what}: typecode must be a string, got ${typeof code}`);
  const index = CODES.indexOf(code as Typecode);
  if (index < 0) throw rangeError(`${what}: bad typecode '${code}' (must be one of ${CODES.join(' ')})`);
  return INFOS[index]!;
}

/** The info of a code index read back from shared memory. */
export function infoAt(index: number): CodeInfo {
  const info = INFOS[index];
  if (info === undefined) throw typeError(`corrupt typecode index ${index}`);
  return info;
}

/** Check that `v` can be stored as an element of `info`'s type: a bigint or a number. */
export function checkElement(info: CodeInfo, v: unknown, what: string): void {
  const want = info.big ? 'bigint' : 'number';
  if (typeof v !== want) throw typeError(`${what}: a '${info.code}' element must be a ${want}, got ${typeof v}`);
}
