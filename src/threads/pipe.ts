/**
 * Pipe and Connection: Python's `multiprocessing.Pipe()` for threads that share memory. Two
 * ends; what one end sends, the other receives, in order, exactly once. Built on the Queue:
 * one Queue per direction placed in the pipe's own memory (a one-way pipe has one), so items
 * are any queue item and primitives, queues and shared buffers in them arrive live.
 *
 *   word     name       meaning                                        written by
 *   -------  ---------  ---------------------------------------------  ---------------------------
 *   0        TAG        0x5AB5 | Kind.Connection (memory.ts)           Pipe(), once
 *   1        FLAGS      bit 0: duplex                                  Pipe(), once
 *   2        CLOSED     bit e: end e (0 = a, 1 = b) is closed          close(), only ever set
 *   3, 4     SENT       SENT + e: bumped after every send towards      send(), close()
 *                       end e, and by every close
 *   5        POLLERS    threads parked in poll, any end                poll()
 *   6, 7     AT         AT + e: byte offset (from the pipe's start)    Pipe(), once
 *                       of the Queue carrying items to end e; 0:
 *                       none (end b of a one-way pipe receives
 *                       nothing)
 *   8        BYTES      the pipe's whole size                          Pipe(), once
 *   10...    the Queues (queue.ts, store.ts draw them)
 *
 * An end's state is the shared CLOSED bit, so closing any copy of an end closes it in every
 * thread. `close()` shuts down both Queues of the pipe, then sets its bit (Python 3.13's
 * `shutdown`, queue.ts): the other end's `recv` takes what is left, then gets `ShutDown`, which
 * is `EOFError`; the other end's `send` gets `ShutDown` at once, which is `ERR_BROKEN_PIPE`. A
 * call on a closed end throws `ERR_CLOSED` (checked first, and again when a Queue reports
 * `ShutDown`, since a copy of this end in another thread may have closed it meanwhile).
 *
 * `poll` waits for an item without taking it, which the Queue does not offer: it sleeps on
 * SENT + e. No wake-up is lost: the poller counts itself in POLLERS, then reads SENT, then
 * looks at the Queue and the CLOSED bits, then parks only while SENT still holds what it read;
 * a sender stores its item, then bumps SENT, then reads POLLERS and wakes if any. Either the
 * poller's look sees the item, or the sender's bump comes after the poller's read of SENT and
 * its read of POLLERS after the poller's count: the park fails or the wake reaches it. The
 * count spares senders the `Atomics.notify` (≈ 30–60 ns, FACTS.md) while nobody polls.
 *
 * Happens-before: a `send` happens before the `recv` that returns its item (the Queue's), and
 * a `close` before the `EOFError` it causes.
 *
 * Crash safety: the only locks are the Queues' (taken over from a dead holder: queue.ts). A
 * thread that dies parked in `poll` leaves POLLERS one too high, which costs senders a needless
 * notify, never a lost wake-up.
 */
import { EOFError, misuse, rangeError, ShutDown, TimeoutError, typeError } from '../primitives/errors.js';
import { checkTimeout, deadlineAfter, park, remaining, runAsync, runSync, wake, type Steps } from '../primitives/futex.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from '../primitives/memory.js';
import { DEFAULT_BYTES, Queue } from '../queue/queue.js';

const FLAGS = 1;
const CLOSED = 2;
const SENT = 3;
const POLLERS = 5;
const AT = 6;
const BYTES = 8;
const HEADER_BYTES = 40;

const DUPLEX = 1;
/** Longest wait for a closing end's CLOSED bit after its shutdowns (a few µs apart, unless it died). */
const CLOSER_MS = 5;
const MAX_BYTES = 1 << 30;

/** Options of `Pipe(duplex, options)`; `buffer` / `byteOffset` place the pipe (`Connection.byteLength`). */
export interface PipeOptions extends PlacementOptions {
  /** Byte capacity of each direction (default 1 MiB): the largest encoded item, and how much may wait unread. */
  bytes?: number;
}

/** Which end: a (0) or b (1). */
type End = 0 | 1;

const constructing = Symbol('Connection');

interface Plan {
  readonly placement: PlacementOptions;
  readonly duplex: boolean;
  readonly bytes: number;
  readonly queueBytes: number;
  readonly byteLength: number;
}

function planOf(duplex: unknown, options: PipeOptions, placement: PlacementOptions = {}): Plan {
  if (typeof duplex !== 'boolean') throw typeError(`Pipe(duplex): duplex must be a boolean, got ${typeof duplex}`);
  if (typeof options !== 'object' || options === null) throw typeError('Pipe options must be an object');
  const bytes = options.bytes ?? DEFAULT_BYTES;
  if (typeof bytes !== 'number') throw typeError(`Pipe options.bytes must be a number, got ${typeof bytes}`);
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_BYTES) throw rangeError(`Pipe options.bytes must be an integer from 1 to ${MAX_BYTES}, got ${bytes}`);
  const queueBytes = (Queue.byteLength(0, { bytes }) + 7) & ~7;
  return { placement, duplex, bytes, queueBytes, byteLength: HEADER_BYTES + queueBytes * (duplex ? 2 : 1) };
}

/** The end of a closed pipe sending or receiving: which error to throw for a Queue's ShutDown. */
function shutDown(e: unknown, closedHere: boolean, receiving: boolean): unknown {
  if (!(e instanceof ShutDown)) return e;
  if (closedHere) return closedError();
  return receiving ? new EOFError() : misuse('ERR_BROKEN_PIPE', 'the other end of the pipe is closed: nobody will receive this');
}

function closedError(): Error {
  return misuse('ERR_CLOSED', 'this end of the pipe is closed');
}

/**
 * One end of a pipe. Make a pipe with `Pipe()`; attach to an end in another thread with
 * `Connection.from(handle)` (or send the end itself as a queue item or task argument).
 * Python: `multiprocessing.connection.Connection`.
 */
export class Connection {
  readonly #region: Region;
  readonly #end: End;
  readonly #i32: Int32Array;
  /** The Queue this end receives from, and the one it sends on (undefined: one-way). */
  readonly #in: Queue<unknown> | undefined;
  readonly #out: Queue<unknown> | undefined;

  /** Not for users: ends come from `Pipe()` and `Connection.from(handle)` (the token is private to this module). */
  constructor(token: typeof constructing, end: End, plan?: Plan, carried?: unknown) {
    if (token !== constructing) throw typeError('new Connection(): make a pipe with Pipe(), or attach to an end with Connection.from(handle)');
    let made: (Queue<unknown> | undefined)[] | undefined;
    const region = open(this, 'Connection', plan?.byteLength ?? 0, plan?.placement, (i32) => {
      const p = plan!;
      i32[FLAGS] = p.duplex ? DUPLEX : 0;
      i32[AT] = HEADER_BYTES; // to a: from b
      i32[AT + 1] = p.duplex ? HEADER_BYTES + p.queueBytes : 0;
      i32[BYTES] = p.byteLength;
      const place = (at: number) => ({ buffer: i32.buffer as SharedArrayBuffer, byteOffset: i32.byteOffset + at, bytes: p.bytes });
      made = [0, 1].map((e) => (i32[AT + e] === 0 ? undefined : new Queue<unknown>(0, place(i32[AT + e]!))));
    });
    const i32 = region.i32;
    if (made === undefined) {
      const lists = Array.isArray(carried) ? carried : [];
      made = [0, 1].map((e) => {
        const at = Atomics.load(i32, AT + e);
        if (at === 0) return undefined;
        const h = { type: 'sabsync:Queue', buffer: region.buffer, byteOffset: region.byteOffset + at, buffers: lists[e] };
        return Queue.from<unknown>(h as Handle<'Queue'>);
      });
    }
    this.#region = region;
    this.#end = end;
    this.#i32 = i32;
    this.#in = made[end];
    this.#out = made[1 - end];
  }

  /** Bytes a pipe of these parameters occupies (for `Pipe(duplex, { buffer, byteOffset })`). */
  static byteLength(duplex = true, options: { bytes?: number } = {}): number {
    return planOf(duplex, options).byteLength;
  }

  /** Attach to the end of a pipe a handle describes (from any thread). */
  static from(handle: Handle<'Connection'>): Connection {
    const region = attach('Connection', handle, (i32) => Atomics.load(i32, BYTES));
    const end = (handle as { end?: unknown }).end;
    if (end !== 0 && end !== 1) throw typeError('Connection.from(handle): handle.end must be 0 or 1');
    return adopt(region, () => new Connection(constructing, end, undefined, (handle as { carried?: unknown }).carried));
  }

  /** A structured-cloneable description of this end, for `Connection.from` / `revive`. */
  get handle(): Handle<'Connection'> {
    // Each Queue's handle carries the shared buffers of items still queued (queue.ts).
    const carried = [0, 1].map((e) => (e === this.#end ? this.#in : this.#out)?.handle.buffers);
    return handleOf('Connection', this.#region, { end: this.#end, carried });
  }

  /** Whether this end is closed (by any of its copies, in any thread). */
  get closed(): boolean {
    return (Atomics.load(this.#i32, CLOSED) & (1 << this.#end)) !== 0;
  }

  /** Whether this end can receive (false: the sending end of a one-way pipe). */
  get readable(): boolean {
    return this.#in !== undefined;
  }

  /** Whether this end can send (false: the receiving end of a one-way pipe). */
  get writable(): boolean {
    return this.#out !== undefined;
  }

  /**
   * Send `value` (any queue item) to the other end, blocking while the pipe is full until
   * `timeout` ms pass (`TimeoutError`). Throws `ERR_CLOSED` if this end is closed,
   * `ERR_BROKEN_PIPE` if the other end is, `ERR_ONE_WAY` on the receiving end of a one-way pipe,
   * `ERR_UNSERIALIZABLE` / `ERR_TOO_LARGE` for a value that cannot cross (nothing is sent).
   * Python: `Connection.send(obj)`.
   */
  send(value: unknown, timeout?: number): void {
    const out = this.#writer();
    try {
      out.put(value, timeout);
    } catch (e) {
      throw this.#translate(e, false);
    }
    this.#sent();
  }

  /** Async twin of `send`. */
  async sendAsync(value: unknown, timeout?: number): Promise<void> {
    const out = this.#writer();
    try {
      await out.putAsync(value, timeout);
    } catch (e) {
      throw this.#translate(e, false);
    }
    this.#sent();
  }

  /**
   * Receive the next value the other end sent, blocking until one comes or `timeout` ms pass
   * (`TimeoutError`, nothing taken). Throws `EOFError` once the other end is closed and
   * everything it sent was received, `ERR_CLOSED` if this end is closed, `ERR_ONE_WAY` on the
   * sending end of a one-way pipe. Python: `Connection.recv()`.
   */
  recv(timeout?: number): unknown {
    const inbox = this.#reader();
    try {
      return inbox.get(timeout);
    } catch (e) {
      throw this.#translate(e, true);
    }
  }

  /** Async twin of `recv`. */
  async recvAsync(timeout?: number): Promise<unknown> {
    const inbox = this.#reader();
    try {
      return await inbox.getAsync(timeout);
    } catch (e) {
      throw this.#translate(e, true);
    }
  }

  /**
   * Whether there is something to receive — a value, or the end of the stream (`recv` would
   * throw `EOFError`) — waiting up to `timeout` ms for it (default 0: look and return;
   * `Infinity`: until there is). Takes nothing. Throws as `recv` does for a closed or one-way
   * end. Python: `Connection.poll(timeout)`.
   */
  poll(timeout = 0): boolean {
    const deadline = deadlineAfter(checkTimeout(timeout));
    this.#reader();
    if (this.#ready()) return true;
    if (remaining(deadline) === 0) return false;
    return runSync(this.#pollSteps(deadline), 'pollAsync');
  }

  /** Async twin of `poll` (same default: 0). */
  pollAsync(timeout = 0): Promise<boolean> {
    const deadline = deadlineAfter(checkTimeout(timeout));
    this.#reader();
    return runAsync(this.#pollSteps(deadline));
  }

  /**
   * Close this end, in every thread that has a copy of it: the other end receives what was
   * already sent, then `EOFError`; its sends throw `ERR_BROKEN_PIPE`. Closing twice does
   * nothing. Python: `Connection.close()`.
   */
  close(): void {
    if (this.closed) return;
    // The Queues first, the bit last: a thread that dies between the two has still given the
    // other end its EOFError (a ShutDown that this end's copies, unmarked, also read as EOF).
    this.#in?.shutdown();
    this.#out?.shutdown();
    Atomics.or(this.#i32, CLOSED, 1 << this.#end);
    for (const e of [0, 1]) {
      Atomics.add(this.#i32, SENT + e, 1);
      wake(this.#i32, SENT + e);
    }
  }

  #writer(): Queue<unknown> {
    if (this.#out === undefined) throw misuse('ERR_ONE_WAY', 'this end of a one-way pipe only receives (Pipe(false): the first end receives, the second sends)');
    if (this.closed) throw closedError();
    return this.#out;
  }

  #reader(): Queue<unknown> {
    if (this.#in === undefined) throw misuse('ERR_ONE_WAY', 'this end of a one-way pipe only sends (Pipe(false): the first end receives, the second sends)');
    if (this.closed) throw closedError();
    return this.#in;
  }

  #translate(e: unknown, receiving: boolean): unknown {
    if ((e as { code?: unknown }).code === (receiving ? 'ERR_EMPTY' : 'ERR_FULL')) {
      return new TimeoutError(receiving ? 'nothing was received before the timeout' : 'the pipe stayed full until the timeout');
    }
    if (e instanceof ShutDown) this.#closerDone();
    return shutDown(e, this.closed, receiving);
  }

  /**
   * A Queue is shut down, so some end is closing: wait (briefly, spinning) for its CLOSED bit,
   * which `close()` sets right after the shutdowns, to tell which end it is. A bit that never
   * comes (the closer died in between) reads as the other end's close.
   */
  #closerDone(): void {
    const until = deadlineAfter(CLOSER_MS);
    while (Atomics.load(this.#i32, CLOSED) === 0 && remaining(until) > 0);
  }

  /** After a send: bump the other end's SENT word, and wake its pollers if there are any. */
  #sent(): void {
    const word = SENT + (1 - this.#end);
    Atomics.add(this.#i32, word, 1);
    if (Atomics.load(this.#i32, POLLERS) > 0) wake(this.#i32, word);
  }

  /** Whether a recv would not wait: a value queued, or the other end closed. */
  #ready(): boolean {
    return !this.#in!.empty() || (Atomics.load(this.#i32, CLOSED) & (1 << (1 - this.#end))) !== 0;
  }

  *#pollSteps(deadline: number): Steps<boolean> {
    const i32 = this.#i32;
    const word = SENT + this.#end;
    Atomics.add(i32, POLLERS, 1);
    try {
      for (;;) {
        // SENT is read before the look: see the header for why no send can slip between.
        const seen = Atomics.load(i32, word);
        if (this.closed) throw closedError();
        if (this.#ready()) return true;
        if (remaining(deadline) === 0) return false;
        yield park(i32, word, seen, deadline);
      }
    } finally {
      Atomics.sub(i32, POLLERS, 1);
    }
  }
}

/**
 * Make a pipe: two connected ends `[a, b]`. Duplex (default): each end sends and receives.
 * `duplex` false: `a` only receives, `b` only sends. `options.bytes`: each direction's capacity;
 * `options.buffer` / `byteOffset`: where to place it (`Connection.byteLength(duplex, { bytes })`
 * bytes). Throws `TypeError` / `RangeError` for bad arguments. Python: `multiprocessing.Pipe(duplex=True)`.
 */
export function Pipe(duplex = true, options: PipeOptions = {}): [Connection, Connection] {
  const plan = planOf(duplex, options, options);
  const a = new Connection(constructing, 0, plan);
  const b = Connection.from({ ...a.handle, end: 1 } as Handle<'Connection'>);
  return [a, b];
}

registerKind('Connection', (h) => Connection.from(h));
