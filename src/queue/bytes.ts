/**
 * The packer's bytes: this thread's scratch memory, the two cursors of a walk, little-endian
 * numbers, and string items both ways. pack.ts draws the whole item format; the string items
 * written here are:
 *
 *   tag  item              then
 *   ---  ----------------  -----------------------------------------------------------------
 *   6    STRING            u32 byte length, UTF-8 (well-formed text that is long or not ASCII)
 *   9    UTF16             u32 length, UTF-16 code units (a string with a lone surrogate)
 *   28   ASCII             u8 length (at most SHORT_ASCII), u8 hint, then (ALIGNED characters or
 *                          more) zero bytes up to a multiple of 4 from the item's start, the
 *                          characters: a short ASCII string, the common key and value. The
 *                          hint is a hash of the length and the first, middle and last
 *                          characters, chosen by the encoder (a hash of every character cost
 *                          ≈ 1 ns a character more): the decoder takes it as the slot of its
 *                          cache of recent strings, and trusts only the characters
 *
 * Why (measured on this machine, a 32-character ASCII string): a `TextDecoder` call costs
 * ≈ 200–260 ns whatever the length up to ≈ 64 (and needs a view made per string), a loop of one
 * concatenation per character ≈ 10 ns a character, `String.fromCharCode` of 16 bytes at a time
 * ≈ 130 ns, and finding the string already made in the cache of recent strings (one comparison
 * per character) less than half that. A key or a tag is nearly always a string met before; so
 * is many a value (a name, a state). The encoder knows whether a string is ASCII (it copies it by
 * a loop, which beats a `TextEncoder` call up to ≈ 64 characters): the decoder need not check.
 *
 * Every string is decoded from unshared memory (the queue copies an item out before decoding
 * it): a `TextDecoder` cannot read a view of a `SharedArrayBuffer` in browsers. It keeps a
 * leading U+FEFF (`ignoreBOM`), which a default decoder strips.
 */

/** A UTF-8 string item (u32 byte length, bytes): codec.ts lays its strings out the same. */
export const C_STRING = 6;
/** A UTF-16 string item (a lone surrogate): codec.ts keeps it as its own tag. */
export const C_UTF16 = 9;
/** A short ASCII string item (u8 length, u8 hint, characters): codec.ts keeps it too. */
export const C_ASCII = 28;

/** The longest string written as ASCII: past it, `TextEncoder` beats a copying loop. */
const SHORT_ASCII = 64;
/**
 * The shortest ASCII string whose characters start 4-aligned in the item (after 0 to 3 zero
 * bytes): they are then copied (encoding) and compared (decoding) a word at a time, ≈ 3× faster
 * than a byte at a time; below, the padding would cost more than it saves.
 */
const ALIGNED = 8;

const utf8 = new TextEncoder();
// ignoreBOM: a string may start with U+FEFF, which a default decoder would strip.
const text = new TextDecoder('utf-8', { ignoreBOM: true });
const num = new Float64Array(1);
const numBytes = new Uint8Array(num.buffer);

// ---------------------------------------------------------------------------------------------
// scratch memory and cursors

/** This thread's scratch memory, where an item is packed (grown as needed). */
export let scratch = new Uint8Array(1024);
/** The same memory as whole words, for the 4-aligned parts of an item (see `ALIGNED`). */
export let scratch32 = new Int32Array(scratch.buffer, 0, scratch.length >> 2);

/** Make the scratch memory at least `n` bytes long, keeping its contents. */
export function room(n: number): void {
  if (scratch.length >= n) return;
  const bigger = new Uint8Array((Math.max(n, scratch.length * 2) + 7) & ~7);
  bigger.set(scratch);
  scratch = bigger;
  scratch32 = new Int32Array(bigger.buffer);
}

/** Swap the scratch memory (a walk started inside another: codec.ts); returns the old one. */
export function swapScratch(s: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const old = scratch;
  scratch = s;
  scratch32 = new Int32Array(s.buffer, 0, s.length >> 2);
  return old;
}

/** `at` rounded up to a multiple of 4: where an item's aligned part starts. */
export function align4(at: number): number {
  return (at + 3) & ~3;
}

/**
 * Words over the item being unpacked, if it lies in the landing memory (codec.ts `landing`, the
 * one array every get copies a plain item into): `words[wordBase + k]` is its bytes 4k..4k+3;
 * `wordBase` -1 for any other array (compared a byte at a time). Only the landing memory: making
 * words over another array reads its `.buffer`, ≈ 30 ns here (more for a small array, whose
 * buffer V8 then makes), which is more than comparing words saves.
 */
let landed: Uint8Array | undefined;
let landedWords: Int32Array = new Int32Array(0);
export let words: Int32Array = landedWords;
export let wordBase = -1;

/** Name the landing memory (codec.ts), 8-aligned in its buffer. */
export function landingIs(pad: Uint8Array<ArrayBuffer>): void {
  landed = pad;
  landedWords = new Int32Array(pad.buffer, pad.byteOffset, pad.length >> 2);
}

/** Make `words` / `wordBase` those of `b`, the array an item is unpacked from. */
export function readWordsOf(b: Uint8Array): void {
  if (b === landed) {
    words = landedWords;
    wordBase = 0;
  } else {
    wordBase = -1;
  }
}

/**
 * The walk's cursors: `w`, where packing writes next in the scratch memory; `r`, where unpacking
 * reads next. Small integers in an object's fields (no double kept in a module variable).
 */
export const cursor = { w: 0, r: 0 };

export function writeU32(at: number, n: number): void {
  scratch[at] = n;
  scratch[at + 1] = n >>> 8;
  scratch[at + 2] = n >>> 16;
  scratch[at + 3] = n >>> 24;
}

export function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function writeF64(at: number, x: number): void {
  num[0] = x;
  for (let i = 0; i < 8; i++) scratch[at + i] = numBytes[i]!;
}

export function readF64(b: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) numBytes[i] = b[at + i]!;
  return num[0]!;
}

/** Write `tag`, a u32 length and `s` as UTF-8 at `at`; returns the end. */
export function writeText(tag: number, s: string, at: number): number {
  room(at + 5 + s.length * 3);
  scratch[at] = tag;
  const n = utf8.encodeInto(s, scratch.subarray(at + 5)).written;
  writeU32(at + 1, n);
  return at + 5 + n;
}

/** Read the UTF-8 text written by `writeText` at `at`. */
export function readText(b: Uint8Array, at: number): string {
  return text.decode(b.subarray(at + 5, at + 5 + readU32(b, at + 1)));
}

// ---------------------------------------------------------------------------------------------
// string items

/**
 * Short ASCII strings recently packed, by their hint, and their characters (SHORT_ASCII bytes a
 * slot): the encoder's side of the cache of recent strings. A hit costs the hint's three reads
 * of the string, one comparison (a pointer test for the same string, which a repeated name or
 * tag mostly is) and a copy of the characters, a word at a time from ALIGNED characters on,
 * against reading every character (≈ 3 ns a character here: V8 dispatches on the string's
 * representation per read).
 */
const packedStrings: string[] = new Array<string>(256).fill('');
const packedChars = new Uint8Array(256 * SHORT_ASCII);
const packedChars32 = new Int32Array(packedChars.buffer);
/**
 * The last short string packed of each length, and its hint: the string met again (one
 * comparison, a pointer test for the same string) skips the hint's three reads of it, which
 * cost more than the rest of a hit for a short string.
 */
const lastOfLength: string[] = new Array<string>(SHORT_ASCII + 1).fill('');
const lastHint = new Uint8Array(SHORT_ASCII + 1);

/** Pack string `s` at the write cursor: ASCII if short, else UTF-8, else UTF-16 units. */
export function packText(s: string): void {
  const n = s.length;
  let pos = cursor.w;
  if (n <= SHORT_ASCII && n > 0) {
    if (pos + 6 + n > scratch.length) room(pos + 6 + n);
    const buf = scratch;
    let hint: number;
    if (lastOfLength[n] === s) {
      hint = lastHint[n]!;
    } else {
      hint = (n * 7 + s.charCodeAt(0) * 31 + s.charCodeAt(n >> 1) * 17 + s.charCodeAt(n - 1)) & 255;
      lastOfLength[n] = s;
      lastHint[n] = hint;
    }
    const kept = hint * SHORT_ASCII;
    let at = pos + 3;
    if (n >= ALIGNED) {
      const a = (at + 3) & ~3;
      while (at < a) buf[at++] = 0;
    }
    const end = at + n;
    if (packedStrings[hint] === s) {
      let i = 0;
      if (n >= ALIGNED) {
        const w = scratch32;
        const to = at >> 2;
        const from = kept >> 2;
        const nw = n >> 2;
        for (; i < nw; i++) w[to + i] = packedChars32[from + i]!;
        i = nw << 2;
      }
      for (; i < n; i++) buf[at + i] = packedChars[kept + i]!;
    } else {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      if (i < n) return packUnicode(s, pos);
      for (let j = 0; j < n; j++) packedChars[kept + j] = buf[at + j]!;
      packedStrings[hint] = s;
    }
    buf[pos] = C_ASCII;
    buf[pos + 1] = n;
    buf[pos + 2] = hint;
    cursor.w = end;
    return;
  }
  if (n === 0) {
    room(pos + 3);
    scratch[pos] = C_ASCII;
    scratch[pos + 1] = 0;
    scratch[pos + 2] = 0;
    cursor.w = pos + 3;
    return;
  }
  packUnicode(s, pos);
}

/** Pack string `s`, long or not ASCII, at `pos`: UTF-8 if well formed, else UTF-16 units. */
function packUnicode(s: string, pos: number): void {
  const n = s.length;
  if (s.isWellFormed()) {
    cursor.w = writeText(C_STRING, s, pos);
    return;
  }
  room(pos + 5 + n * 2);
  scratch[pos] = C_UTF16;
  writeU32(pos + 1, n);
  pos += 5;
  for (let i = 0; i < n; i++) {
    const u = s.charCodeAt(i);
    scratch[pos + 2 * i] = u;
    scratch[pos + 1 + 2 * i] = u >>> 8;
  }
  cursor.w = pos + n * 2;
}

/**
 * Recently decoded ASCII strings, by the hint their items carry, and their characters as bytes
 * (SHORT_ASCII bytes a slot). A hit is checked against the item's characters (a word at a time
 * from ALIGNED characters on, when the item lies 4-aligned), so a wrong hint costs a miss, never
 * a wrong string; bytes against bytes, since reading a string's characters costs ≈ 3× reading
 * bytes (V8 dispatches on the string's representation per read). For a key (which V8 keeps
 * internalized) the same string again also makes the property store that follows one V8 has
 * cached.
 */
const recent: string[] = new Array<string>(256).fill('');
const recentBytes = new Uint8Array(256 * SHORT_ASCII);
const recent32 = new Int32Array(recentBytes.buffer);

/** The ASCII string item at the read cursor (`readWordsOf` told where its item lies). */
export function unpackAscii(b: Uint8Array): string {
  const r = cursor.r;
  const n = b[r + 1]!;
  const slot = b[r + 2]!;
  const at = n >= ALIGNED ? (r + 6) & ~3 : r + 3;
  cursor.r = at + n;
  const k = recent[slot]!;
  const kept = slot * SHORT_ASCII;
  if (k.length === n) {
    if (n >= ALIGNED && wordBase >= 0) {
      // Whole words, then the bytes past them (inline: a call here costs more than the test).
      const w = words;
      const base = wordBase + (at >> 2);
      const from = kept >> 2;
      const nw = n >> 2;
      let i = 0;
      while (i < nw && w[base + i] === recent32[from + i]) i++;
      if (i === nw) {
        i <<= 2;
        while (i < n && recentBytes[kept + i] === b[at + i]) i++;
        if (i === n) return k;
      }
    } else {
      let i = 0;
      while (i < n && recentBytes[kept + i] === b[at + i]) i++;
      if (i === n) return k;
    }
  }
  // A corrupt item's length may exceed a slot: such a string is not kept.
  if (n > SHORT_ASCII) return asciiAt(b, at, n);
  for (let i = 0; i < n; i++) recentBytes[kept + i] = b[at + i]!;
  const s = asciiAt(b, at, n);
  recent[slot] = s;
  return s;
}

/** The `n` ASCII characters at `at`, made 16 (then 4, then 1) at a time. */
function asciiAt(b: Uint8Array, at: number, n: number): string {
  let s = '';
  let i = at;
  const end = at + n;
  for (; i + 16 <= end; i += 16) {
    s += String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!, b[i + 8]!, b[i + 9]!, b[i + 10]!, b[i + 11]!, b[i + 12]!, b[i + 13]!, b[i + 14]!, b[i + 15]!);
  }
  for (; i + 4 <= end; i += 4) s += String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
  for (; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** The UTF-8 string item at the read cursor. */
export function unpackUtf8(b: Uint8Array): string {
  const at = cursor.r + 5;
  const n = readU32(b, cursor.r + 1);
  cursor.r = at + n;
  return text.decode(b.subarray(at, at + n));
}

/** The UTF-16 string item at the read cursor. */
export function unpackUtf16(b: Uint8Array): string {
  const n = readU32(b, cursor.r + 1);
  const at = cursor.r + 5;
  cursor.r = at + 2 * n;
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[i] = b[at + 2 * i]! | (b[at + 1 + 2 * i]! << 8);
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
  return s;
}

/** The string item at the read cursor, of any of the three tags. */
export function unpackString(b: Uint8Array): string {
  const tag = b[cursor.r];
  if (tag === C_ASCII) return unpackAscii(b);
  if (tag === C_STRING) return unpackUtf8(b);
  if (tag === C_UTF16) return unpackUtf16(b);
  throw new Error(`sabsync queue: corrupt item (a string expected, tag ${tag})`);
}
