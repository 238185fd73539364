/**
 * The queue's codec: the envelope around an item's bytes. Any structured-cloneable value goes
 * to bytes and back, keeping `SharedArrayBuffer`s shared and sabsync primitives live; the
 * bytes of anything but a number or a string are written by the packer (pack.ts), in plain
 * JavaScript, so every runtime carries the same values.
 *
 *   byte 0   tag        then
 *   -------  ---------  ----------------------------------------------------------------------
 *   0..3     undefined / null / false / true: nothing
 *   4        NUMBER     7 bytes of padding, the float64 at byte 8 (so -0 and NaN survive; an
 *                       item starts on an 8-byte boundary, so the queue reads it in place)
 *   5        STRING     u32 length, UTF-8 bytes (laid out as the packer's string items)
 *   6        COMPACT    a packed item that is a tree of plain values: no object met twice,
 *                       nested at most PACK_DEPTH deep, nothing shared — the common item shapes
 *   7        GRAPH      a packed item with cycles or shared references (its decoding keeps a
 *                       table of the objects made), or nested deeper than PACK_DEPTH
 *   8        SHARED     u32 offset of the ids, the packed item at byte 5 (holding shared
 *                       buffers or sabsync primitives), then at that offset the JSON array of
 *                       the ids of its buffers (buffers.ts), as u32 length and UTF-8 bytes
 *   9        UTF16      u32 length, UTF-16 code units: a string with a lone surrogate, which
 *                       UTF-8 cannot carry and structured clone keeps
 *   28       ASCII      u8 length, u8 hint, the characters: a short ASCII string (the
 *                       packer's own item, bytes.ts)
 *
 * Why this split (measured by bench/queue.bench.mjs, "codec" rows, and by hand on this
 * machine): numbers and strings are the common items and cost one store or one `encodeInto`.
 * For a small object `{ id, name, tags: [3 strings] }`, JSON.stringify + encodeInto took
 * ≈ 0.77 µs and decode + JSON.parse ≈ 0.85 µs (and JSON loses -0, NaN, undefined), `node:v8`
 * ≈ 3× that, postMessage's native clone ≈ 1.7 µs for both halves; the packer takes ≈ 0.64 µs
 * to encode and ≈ 0.5 µs to decode it (one walk, no text stage, short ASCII strings copied by
 * a loop). Then keys kept per shape, short ASCII strings found again by their bytes, and views
 * of the scratch memory handed out again (pack.ts, bytes.ts, `view` below) took, measured in
 * turn with the code before them in one process (CPU time per item, a loaded 2-core host):
 * encode ×0.72, decode ×0.61, encode + copy + decode ×0.71, a Queue's put + get on one thread
 * ×0.77. Then the encoder's own cache of recent short ASCII strings, the last shape tried
 * before any hashing, the long parts of an item (keys, strings of 8 or more) 4-aligned so that
 * they are copied and compared a word at a time, and ints packed without a second dispatch
 * (bytes.ts, pack.ts), measured the same way (the best of 4–6 processes each, in turn, CPU
 * time): encode ≈ ×0.75 (≈ 0.37 µs), encode + copy + decode ×0.8, put + get ×0.9. Of that
 * encode a fifth is still `Object.keys` of the array (to find holes and extra keys: ≈ 95 ns
 * for 3 elements, V8 leaving its fast path for any object with elements); `for…in`,
 * `Object.getOwnPropertyNames` cost more, and nothing cheaper tells an array's extra keys.
 * Then an object's first 8 fields loaded and stored at a site of their own per key position,
 * and the decoder's keys made the engine's own names (pack.ts `packValues`, `objectOf`,
 * `internalized`): before, every field store of a decoded object went through V8's megamorphic
 * keyed store, which looked a fresh key string up in its table of names each time (≈ 15% of a
 * decode). Instructions per item (valgrind, the bench's small object): encode 5,203 → 4,974,
 * decode 4,030 → 3,407 (either change alone: decode 4,039). Then the helpers the engine left as
 * calls written inline (lengths, ints, aligned offsets, the word-by-word comparisons, the room
 * check), types tested against constants rather than a switch on `typeof` (a builtin call that
 * names the type), arrays told by `Array.isArray` rather than by their prototype
 * (`Object.getPrototypeOf` calls V8's runtime), and the last short string of each length kept
 * with its hint: encode 4,974 → 4,619, decode 3,407 → 2,864. In time, interleaved in one
 * process against the code before all four steps (16 rounds, best of each): encode ×0.91,
 * decode ×0.70, encode + copy + decode ×0.81, a Queue's put + get on one thread ×0.88. What
 * remains of an encode is mostly `Object.keys` of the array (≈ a fifth) and the strings.
 *
 * Decoding fails only for GRAPH and SHARED items (`fallible`: nesting deeper than the getting
 * thread's stack, a buffer not received, a primitive whose kind the bundle lacks), which the
 * queue decodes before it commits their get, so a failure leaves them queued; COMPACT items are
 * no deeper than any stack can unpack.
 */
import { misuse } from '../primitives/errors.js';
import { C_ASCII, C_STRING, C_UTF16, landingIs, readF64, readText, readU32, room, scratch, writeF64, writeText, writeU32 } from './bytes.js';
import { lastWalk, packItem, packString, restoreWalk, saveWalk, unpackItem, unpackStringAt } from './pack.js';

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
/** Tag of a number item. */
export const T_NUMBER = 4;
const T_STRING = 5;
const T_COMPACT = 6;
const T_GRAPH = 7;
const T_SHARED = 8;
/** The packer's own UTF16 tag: such a string item is the packer's, unchanged. */
const T_UTF16 = C_UTF16;
/** The packer's own ASCII tag, likewise. */
const T_ASCII = C_ASCII;

/** Bytes of an encoded number: the tag, padding, and the float64 at byte 8. */
export const NUMBER_BYTES = 16;

/** Where a SHARED item's body starts, after its header (a COMPACT or GRAPH one's: at byte 1). */
const BODY = 5;


/**
 * The views of the scratch memory `encode` has handed out, by where they end (below VIEWS_KEPT),
 * all from byte 0, and the scratch memory they are views of. Making a view costs ≈ 60 ns here,
 * a third of encoding a small number: items of one shape have one length, so a view is mostly
 * handed out again. A view is valid only until the next `encode` anyway; its bytes are
 * rewritten, and so may be its object.
 *
 * Every item starts at byte 0, 8-aligned like the arena's chunks and a ring slot's words: V8
 * copies into (or out of) shared memory a word at a time only when source and target are
 * aligned alike, else a byte at a time, so an item that started elsewhere went through one more
 * copy (store.ts `#bounce`) on its way in.
 */
const VIEWS_KEPT = 512;
let viewsOf: Uint8Array = scratch;
let views: (Uint8Array | undefined)[] = [];

/** The view of the scratch memory from byte 0 to `end`. */
function view(end: number): Uint8Array {
  if (end >= VIEWS_KEPT) return scratch.subarray(0, end);
  if (viewsOf !== scratch) {
    // The scratch memory grew, or is an inner walk's (or again the outer one's).
    viewsOf = scratch;
    views = new Array<Uint8Array | undefined>(VIEWS_KEPT).fill(undefined);
  }
  let v = views[end];
  if (v === undefined) {
    v = scratch.subarray(0, end);
    views[end] = v;
  }
  return v;
}

/**
 * Whether an `encode` is running. Encoding reads the item's properties, so a getter may put
 * another item (into this queue or another) in the middle of it: that inner `encode` must not
 * write over the outer one's scratch memory, cursor and list of objects met.
 */
let encoding = false;

/**
 * Encode `value`. Returns a view of this thread's scratch memory, valid until the next call.
 * Throws `ERR_UNSERIALIZABLE` for what structured clone refuses (functions, symbols, ...) and
 * for a value nested deeper than this thread's stack can walk.
 */
export function encode(value: unknown): Uint8Array {
  if (encoding) return encodeReentered(value);
  encoding = true;
  try {
    return encodeValue(value);
  } finally {
    encoding = false;
  }
}

/**
 * `encode` called from inside another (by a getter of the outer item): the inner item gets
 * scratch memory of its own, and the outer walk's state is put back as it was. The view
 * returned stays valid: nothing else writes to the inner scratch.
 */
function encodeReentered(value: unknown): Uint8Array {
  const outer = saveWalk();
  try {
    return encodeValue(value);
  } finally {
    restoreWalk(outer);
  }
}

function encodeValue(value: unknown): Uint8Array {
  switch (typeof value) {
    case 'number':
      room(NUMBER_BYTES);
      scratch[0] = T_NUMBER;
      writeF64(8, value);
      return view(NUMBER_BYTES);
    case 'string': {
      // The packer's string item; a UTF-8 one gets the envelope's tag.
      const end = packString(value, 0);
      if (scratch[0] === C_STRING) scratch[0] = T_STRING;
      return view(end);
    }
    case 'undefined':
      scratch[0] = T_UNDEFINED;
      return view(1);
    case 'boolean':
      scratch[0] = value ? T_TRUE : T_FALSE;
      return view(1);
    default: {
      if (value === null) {
        scratch[0] = T_NULL;
        return view(1);
      }
      let end = packItem(value, 1);
      const walk = lastWalk();
      if (!walk.shared) {
        scratch[0] = walk.graph ? T_GRAPH : T_COMPACT;
        return view(end);
      }
      // Rare: the body moves to BODY to make room for the offset of the ids.
      room(end + BODY - 1);
      scratch.copyWithin(BODY, 1, end);
      const ids = end + BODY - 1;
      end = writeText(0, JSON.stringify(walk.ids), ids);
      scratch[0] = T_SHARED;
      writeU32(1, ids);
      return view(end);
    }
  }
}

let landingPad = new Uint8Array(1024);
landingIs(landingPad);

/** The ids of an item that refers to no shared buffer. */
export const NO_IDS: readonly string[] = Object.freeze([]);

/**
 * Unshared memory to copy an encoded item of `len` bytes into, before `decode`. Items decoded
 * after their get is committed reuse one scratch area, handed out whole (no view made per item:
 * their decoding reads only the lengths written in the item); a fallible item gets its own copy
 * of exactly `len` bytes (it is decoded under the queue's lock, while others may land).
 */
export function landing(len: number, tag: number): Uint8Array {
  if (tag === T_GRAPH || tag === T_SHARED) return new Uint8Array(len);
  if (landingPad.length < len) {
    landingPad = new Uint8Array(Math.max(len, landingPad.length * 2));
    landingIs(landingPad);
  }
  return landingPad;
}

/** The ids of the shared buffers an encoded item refers to (none: an empty array). */
export function sharedIds(bytes: Uint8Array): readonly string[] {
  if (bytes[0] !== T_SHARED) return NO_IDS;
  return JSON.parse(readText(bytes, readU32(bytes, 1))) as string[];
}

function decodeAt(bytes: Uint8Array, at: number): unknown {
  switch (bytes[at]) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_NUMBER:
      return readF64(bytes, at + 8);
    case T_STRING:
      return unpackStringAt(bytes, at);
    case T_UTF16:
    case T_ASCII:
      return unpackItem(bytes, at, false);
    case T_COMPACT:
      return unpackItem(bytes, at + 1, false);
    case T_GRAPH:
      return unpackItem(bytes, at + 1, true);
    case T_SHARED:
      return unpackItem(bytes, at + BODY, true);
    default:
      throw new Error(`sabsync queue: corrupt item (tag ${bytes[at]})`);
  }
}

/**
 * Whether decoding this item may fail: it may be deeper than the getting thread's stack, or
 * need shared buffers (which may not have arrived) or a primitive's kind. The queue decodes such
 * an item before it commits the get, so that a failure leaves the item queued; any other item
 * decodes without fail, after the get.
 */
export function fallible(bytes: Uint8Array): boolean {
  return bytes[0] === T_GRAPH || bytes[0] === T_SHARED;
}

/**
 * Decode an item from unshared memory. The buffers of `sharedIds(bytes)` must be known to
 * this thread (buffers.ts `fetchSteps`). Any failure is `ERR_UNSERIALIZABLE`, naming its cause:
 * an item nested too deeply for this thread's stack, a buffer not received, a primitive whose
 * kind this bundle lacks.
 */
export function decode(bytes: Uint8Array): unknown {
  try {
    return decodeAt(bytes, 0);
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ERR_UNSERIALIZABLE') throw e;
    throw misuse('ERR_UNSERIALIZABLE', `cannot decode this queue item in this thread: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}
