/**
 * The slots of the FIFO queue's ring (ring.ts): a slot's words, the states of its SEQ word and
 * their marks, and the copy of a small item's bytes in and out of it.
 *
 * Words of slot k (Int32, indices into the queue's words; store.ts places the slots):
 *
 *   word          name     meaning                                           written by
 *   ------------  -------  ------------------------------------------------  --------------------
 *   slot k + 0    SEQ      the slot's state, below                           its claimer
 *   slot k + 1,2  A, B     a number's float64 words, or [first chunk, 0]     its putter
 *   slot k + 3    LEN      INLINE (a number), NONE (no bytes held), 1..SMALL  its putter; its getter
 *                          (an item's bytes in the slot), or > SMALL (the    (NONE, logged: chunks)
 *                          byte length of an item in the arena's chunks)
 *   slot k + 4..  BYTES    SMALL = 112 bytes: a small item's encoding        its putter
 *
 * A slot is SLOT_WORDS = 32 words, 128 bytes: two cache lines, so neighbouring slots (the put's
 * and the get's, in a ring that keeps up) share none. The slots are the queue's entries
 * (store.ts): one per item the queue may hold, so a Queue costs 128 bytes per slot on top of
 * its arena — `new Queue()` (1 MiB of `bytes`, 16,384 slots) ≈ 3.1 MiB, `new Queue(100)` with
 * the default bytes ≈ 1.1 MiB (store.ts). Measured against heads packed four to a line (SEQ,
 * LEN, the number; BYTES apart) and SEQ words sixteen to a line, 1 → 1 threads: no gain for
 * numbers nor small items (0.9–1.1×, within the noise of single runs). A getter that keeps up
 * claims each slot right after its put, so the line crosses twice per item whatever its width;
 * what costs is the Atomics calls (≈ 10–20 ns each: 4 per put + get of a number — a claim's
 * CAS and a store each — against 6 in the bench's bare MPMC ring, which also loads a sleepers'
 * count per put and per get; no load of a sleepers' count since sleepers mark slots: ≈ -17% a
 * put + get; no load of SHUTDOWN since shutdown marks a slot: ring.ts "Shutdown").
 *
 * Where an item lives, by the length L of its encoding (codec.ts): a number in A, B (no
 * encoding); L <= SMALL in the slot's BYTES (the encoded small object of the queue benchmark,
 * ≈ 100 bytes, is the reason for SMALL); L > SMALL in chunks of the arena, named by A and LEN.
 * A number or a small item takes no lock, no chunk and no undo log: only the slot it claimed.
 *
 * Positions run mod M = CAP * floor(2^30 / CAP), CAP the slot count (>= 2); slot of position p:
 * p mod CAP. A slot's SEQ, for the position p whose turn it is at that slot:
 *
 *   SEQ = p            empty: a put at p may claim it
 *   SEQ = p + 1        full: holds the item put at p; a get at p may claim it
 *   SEQ = p + CAP      emptied: the item of p was got (p + CAP's put may claim it)
 *   SEQ = PUTTING(id)  claimed by the put at TAIL of thread `id` (negative: -(2 id) - 1)
 *   SEQ = GETTING(id)  claimed by the get at HEAD of thread `id` (-(2 id + 1) - 1)
 *   SEQ = p + MARK     empty, marked: a getter sleeps until the put at p publishes, or the
 *                      queue is shut down (no put claims it: ring.ts "Shutdown")
 *   SEQ = p + 1 + MARK full, marked: a putter sleeps until the get at p empties the slot, or
 *                      the queue is shut down (the get keeps the mark as it empties it)
 *
 * MARK = 2^30 (bit 30): positions stay below M <= 2^30 and claims are small negatives, so a
 * marked value (>= MARK) is neither; only an unclaimed value is marked (a sleeper's CAS from
 * it, or shutdown's: ring.ts "Shutdown", `closePuts`), and `plain` takes the mark off. A
 * marked value is the same state as its plain one for
 * every reader — the walks, `count`, the watches, `hasItem`, shutdown, a recovery — but for a
 * claim: the first tries (plain reads, a CAS expecting the plain value) fail on it and take the
 * slow way (ring.ts `#claimPut`, `#getSlow`), which claims it by a CAS expecting the marked value and
 * notes that it took a mark (`#wakeGetters`, `#wakePutters`): the put (get) then wakes the
 * sleepers after its publish (emptying), or gives the mark back with its claim (`#shut`,
 * `unclaim`). The value p + CAP (emptied) is marked as the empty value of position p + CAP. Once
 * the queue is shut down, the first unpublished position's slot stays marked (ring.ts
 * "Shutdown"): the put that claims it there reads SHUTDOWN, the fast put never does.
 */

export const SEQ = 0;
export const A = 1;
export const B = 2;
export const LEN = 3;
/** Where a small item's bytes start in its slot (a word index from the slot's start). */
export const BYTES = 4;
/** Slot words: 128 bytes. */
export const SLOT_WORDS = 32;
/** The most bytes an encoded item may have to be kept in its slot (after SEQ, A, B, LEN). */
export const SMALL = (SLOT_WORDS - BYTES) * 4;

/** LEN of a slot holding a number in A, B. */
export const INLINE = -1;
/** LEN of a slot whose item holds no bytes (a get of an item in chunks committed). */
export const NONE = 0;

/**
 * The mark of a SEQ word (bit 30): a sleeper waits for the claim of its slot (watch.ts
 * "Sleeping and waking"), or the queue is closed to puts there (ring.ts "Shutdown"). Positions stay below M <= 2^30 and claims are negative, so only unclaimed values
 * (p, p + 1, p + CAP) are ever marked, and a marked value is p + MARK (>= MARK): never a
 * position, never a claim.
 */
export const MARK = 1 << 30;
/** A SEQ value without its mark. */
export const plain = (s: number) => (s >= MARK ? s - MARK : s);

export const putting = (id: number) => -(id * 2) - 1;
export const getting = (id: number) => -(id * 2 + 1) - 1;
/** The thread of a claim (a negative SEQ). */
export const claimer = (s: number) => (-s - 1) >>> 1;
/** Whether a claim is a get's. */
export const isGetting = (s: number) => ((-s - 1) & 1) === 1;

/**
 * Views of whole words over the last buffer a put copied a small item from (0) and a get
 * copied one into (1): the codec's scratch and landing memory, reused from item to item. Kept
 * with the array they were made for (`wordArrays`: the codec hands the same view out again
 * for items of one length, and a get copies into the one landing array) and how many bytes of
 * whole words that array's buffer holds from its start (`wordRoom`, -1 if it does not start at
 * a multiple of 4): reading `.buffer` costs ≈ 30 ns here, a third of a small item's copy. A
 * view's buffer and offset never change, nor does the length of the codec's buffers.
 */
const wordArrays: (Uint8Array | undefined)[] = [undefined, undefined];
const wordRoom = [-1, -1];
const wordViews: Int32Array<ArrayBufferLike>[] = [new Int32Array(0), new Int32Array(0)];

/**
 * An Int32Array over the whole words of `bytes`'s buffer, if `bytes` starts at a multiple of 4
 * and its first `n` bytes rounded up to whole words lie in that buffer (so a copy of them may
 * go word by word); else undefined. `side`: 0 a put's, 1 a get's (each keeps its last view).
 */
export function wordsOf(bytes: Uint8Array, n: number, side: number): Int32Array<ArrayBufferLike> | undefined {
  if (bytes !== wordArrays[side]) {
    const buffer = bytes.buffer;
    wordArrays[side] = bytes;
    wordRoom[side] = (bytes.byteOffset & 3) !== 0 ? -1 : (buffer.byteLength & ~3) - bytes.byteOffset;
    if (buffer !== wordViews[side]!.buffer) wordViews[side] = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }
  return ((n + 3) & ~3) <= wordRoom[side]! ? wordViews[side] : undefined;
}
