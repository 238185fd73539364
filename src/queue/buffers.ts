/**
 * How a `SharedArrayBuffer` inside a queue item reaches the thread that gets the item.
 *
 * Shared memory cannot hold a reference to another buffer, so the buffer travels on a side
 * channel: one process-wide `BroadcastChannel` (name `sabsync:buffers`), which reaches every
 * thread that has opened it, and which a thread blocked in `get()` reads synchronously with
 * `receiveMessageOnPort` (in a browser, a tree of `MessageChannel` links instead: see
 * "Browsers" below). Every buffer gets a global id (`<sabsync thread id>.<random tag>.<counter>`
 * of the thread that first sent it; the tag because Deno gives every Web Worker the same thread
 * id); the item in shared memory carries only ids.
 *
 *   - Send: a thread posts `{ id, sab }` the first time it sends a buffer, never again while
 *     the buffer stays in its table of known buffers (a Lock sent in every task costs one post).
 *   - Receive: every thread that has the channel open files each posted buffer in its table.
 *     A getter that misses an id drains the channel; if the id is still missing (it opened the
 *     channel after the post: a thread that joined later, or it evicted the buffer), it posts
 *     `{ need: id }` and keeps draining, sleeping 1 ms between tries, for up to
 *     `FETCH_TIMEOUT` ms or the get's own timeout, whichever is shorter (a get whose timeout
 *     passes first throws `Empty`; `getNowait` does not wait at all). Any thread that knows the buffer and whose event loop runs answers
 *     with a fresh `{ id, sab }` (so do blocked getters while they drain). If none does, the
 *     get throws `ERR_UNSERIALIZABLE` and the item stays queued (queue.ts), for a later get.
 *   - A queue's handle also carries the buffers of every item still queued that its thread
 *     put there or was handed them with (`Carried`), so "put, then start a worker with
 *     `q.handle`" needs no answer at all — even when the putting thread then blocks, in
 *     `join()` say. Only a buffer put after the handle was taken and posted before the
 *     receiver opened its channel needs an answer.
 *
 * Bounded memory: the table of known buffers is an LRU of `MAX_KNOWN` entries per thread, and
 * each queue object's `Carried` keeps at most as many (and none once the queue is seen empty),
 * so a thread pins a bounded number of buffers for items that other threads consumed. A
 * buffer evicted from every thread that knows it cannot be fetched any more: an item waiting in
 * a queue longer than 1024 other distinct buffers pass through every thread is the limit.
 *
 * A thread that never returns to its event loop (a worker looping on `get()`) would let posts
 * pile up in its end of the channel; the queue calls `tidy()` on every get, which drains the
 * channel into the LRU every `TIDY_EVERY` calls, so that backlog stays bounded too.
 *
 * The channel is `unref()`ed: it never keeps a process or worker alive.
 *
 * Deno: `receiveMessageOnPort` refuses a BroadcastChannel (found once, when the channel opens),
 * and a browser has no `receiveMessageOnPort` (its own `BroadcastChannel` is used), so there
 * posts are filed only by `onmessage`, when the thread's event loop runs: draining is a
 * no-op, `getAsync` (whose naps are event-loop turns) fetches as above, and a synchronous get
 * that misses a buffer throws `ERR_CANNOT_BLOCK` naming `getAsync` at once (waiting could never
 * help: it blocks the loop), leaving the item queued; `getNowait` throws `Empty` as everywhere.
 * A Deno thread that never returns to its event loop lets posts pile up in its end of the channel.
 *
 * Browsers: a `BroadcastChannel` cannot carry a `SharedArrayBuffer` there (Chromium delivers such
 * a post as `null`: the channel reaches contexts outside the page's agent cluster), and neither
 * it nor shared memory can carry a `MessagePort`. So in a browser the side channel is a tree of
 * links instead: `MessageChannel`s between a thread and the workers it started, whose ports
 * are handed over with a transfer when the worker starts — by sabsync for the workers it starts
 * (a Thread's bootstrap and supervisor post theirs to their parent: threads/), by
 * `linkWorker(worker)` for a Web Worker the program started itself (the worker's end arrives as
 * a `sabsync:link` message, taken off the worker's global `message` event before the
 * program's own listeners see it). Over the tree:
 *   - a thread posts `{ id, sab }` on every link the first time it sends a buffer; a thread that
 *     receives a buffer it did not know files it and forwards it on its other links, so every
 *     thread of the tree hears of it once (forwarding only what is new ends every flood);
 *   - `{ need, n }` is forwarded the same way until a thread that knows the buffer answers on
 *     the link the request came by (`n`, drawn per request, drops a request met twice: two
 *     links between the same threads make a cycle); a fetch asks again on each link adopted
 *     while it waits.
 * Ports deliver only while the thread's event loop runs (a browser has no
 * `receiveMessageOnPort`), so a synchronous get that misses a buffer throws `ERR_CANNOT_BLOCK`
 * naming `getAsync`, as in Deno. A Web Worker the program started without `linkWorker` hears
 * only of buffers carried by a queue's handle (`Carried`): a fetch of any other times out. A
 * link whose worker has ended is forgotten: a Thread's bootstrap says goodbye on its links
 * before it ends (`leaveLinks`), its supervisor drops the link of one killed; a worker the
 * program ended leaves a dead port behind, to which posts are lost at no cost.
 *
 * Cost (bench/queue.bench.mjs, "codec" group): an item holding a Lock costs ≈ 6–8 µs more per
 * put + get than the same item without (the handle is rebuilt and revived on every get); the
 * buffer itself is posted once per thread, not once per item.
 */
import { misuse, typeError } from '../primitives/errors.js';
import { deadlineAfter, park, parkingAsync, remaining, type Steps } from '../primitives/futex.js';
import { threadId } from '../primitives/thread.js';
import { builtin } from '../runtime/node.js';

/** Distinct buffers a thread remembers (least recently used are forgotten first). */
export const MAX_KNOWN = 1024;
/** How long a getter waits for a buffer it has never seen before giving up. */
export const FETCH_TIMEOUT = 5_000;

interface Port {
  postMessage(message: unknown, transfer?: unknown[]): void;
  unref?(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}
interface WorkerThreads {
  BroadcastChannel: new (name: string) => Port;
  receiveMessageOnPort(port: Port): { message: unknown } | undefined;
}

const wt = builtin<WorkerThreads>('node:worker_threads');

/** The platform's MessageChannel, where buffers travel over links (a browser: see the header). */
const Links = wt === undefined ? (globalThis as unknown as { MessageChannel?: new () => { port1: Port; port2: Port } }).MessageChannel : undefined;

/** Type of the message that hands a worker its end of a link. */
export const LINK = 'sabsync:link';

const known = new Map<string, SharedArrayBuffer>();
const ids = new WeakMap<SharedArrayBuffer, string>();
let counter = 0;
/**
 * The first part of the ids this thread gives: its sabsync id and a random tag drawn once, since
 * the sabsync id alone is not unique in every runtime (in Deno every Web Worker reports
 * `worker_threads.threadId` 0).
 */
const origin = `${threadId}.${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
let channel: Port | undefined;
/** Whether `receiveMessageOnPort` reads this thread's channel (false in Deno: see the header). */
let pullable = false;
/** This thread's ends of its links (browsers). */
const links = new Set<Port>();
/** Ids being fetched now, asked for again on every link adopted meanwhile. */
const wanted = new Set<string>();
/** Requests (`n`) met lately on the links: one met again came round a cycle and is dropped. */
const metNeeds = new Set<string>();
const MAX_MET = 256;

function remember(id: string, sab: SharedArrayBuffer): void {
  known.delete(id);
  known.set(id, sab);
  ids.set(sab, id);
  if (known.size > MAX_KNOWN) known.delete(known.keys().next().value as string);
}

/** Post `message` on the channel and on every link but `except`. */
function post(message: unknown, except?: Port): void {
  channel?.postMessage(message);
  for (const link of links) if (link !== except) link.postMessage(message);
}

function onMessage(data: unknown, link?: Port): void {
  // Anything else on the channel (another program's post, a message the platform could not
  // deserialize) is ignored.
  if (typeof data !== 'object' || data === null) return;
  const m = data as { id?: unknown; sab?: unknown; need?: unknown; n?: unknown; bye?: unknown };
  if (link !== undefined && m.bye === true) {
    // The thread at the other end has ended: everything it posted came before this.
    dropLink(link);
  } else if (typeof m.id === 'string' && m.sab instanceof SharedArrayBuffer) {
    if (known.has(m.id)) return;
    remember(m.id, m.sab);
    // New here: pass it on to the rest of the tree (the channel reaches every thread already).
    if (link !== undefined) for (const other of links) if (other !== link) other.postMessage({ id: m.id, sab: m.sab });
  } else if (typeof m.need === 'string') {
    const sab = known.get(m.need);
    if (link === undefined) {
      if (sab !== undefined) channel!.postMessage({ id: m.need, sab });
      return;
    }
    if (typeof m.n === 'string') {
      if (metNeeds.has(m.n)) return;
      metNeeds.add(m.n);
      if (metNeeds.size > MAX_MET) metNeeds.delete(metNeeds.values().next().value as string);
    }
    if (sab !== undefined) link.postMessage({ id: m.need, sab });
    else for (const other of links) if (other !== link) other.postMessage(data);
  }
}

function ask(id: string, on?: Port): void {
  const n = `${origin}.${++counter}`;
  metNeeds.add(n);
  const request = { need: id, n };
  if (on !== undefined) on.postMessage(request);
  else post(request);
}

/**
 * Adopt `port`, this thread's end of a link to another thread (browsers; see the header): from
 * now on buffers cross it both ways. Pending fetches ask on it at once.
 */
export function adoptLink(port: unknown): void {
  const p = port as Port;
  if (links.has(p)) return;
  links.add(p);
  p.onmessage = (e) => onMessage(e.data, p);
  for (const id of wanted) ask(id, p);
}

/** Forget a link whose other end has ended (posts to it would be lost anyway). */
export function dropLink(port: unknown): void {
  const p = port as Port;
  if (!links.delete(p)) return;
  p.onmessage = null;
  (p as { close?(): void }).close?.();
}

/**
 * Say goodbye on every link: this thread is about to end (a Thread's bootstrap, in a browser).
 * Each thread at the other end forgets its end once it has read everything posted before.
 */
export function leaveLinks(): void {
  for (const link of links) link.postMessage({ bye: true });
}

/**
 * Make a link (where buffers travel over links: a browser): keep one end, return the other, to
 * be transferred to the thread at the far end, which adopts it (`adoptLink`). Undefined where
 * the side channel is a BroadcastChannel (Node, Deno, Bun): no link is needed there.
 */
export function openLink(): Port | undefined {
  if (Links === undefined) return undefined;
  const { port1, port2 } = new Links();
  adoptLink(port1);
  return port2;
}

/** Whether buffers travel over links here (a browser), not on a BroadcastChannel. */
export function linksUsed(): boolean {
  return Links !== undefined;
}

/** Whether `message` hands this thread its end of a link (`{ type: LINK, port }`). */
export function isLink(message: unknown): message is { type: typeof LINK; port: unknown } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === LINK && 'port' in message;
}

/** What `linkWorker` needs of a worker: Web Worker's (and Node's) `postMessage` with a transfer list. */
export interface Linkable {
  postMessage(message: unknown, transfer: unknown[]): void;
}

const linked = new WeakSet<object>();

/**
 * Let shared buffers in queue items reach `worker`, a Web Worker this thread started itself,
 * whatever queue it attached to and whenever the items were put; call it once, right after
 * `new Worker(...)` (again: nothing happens). Needed in browsers only, whose
 * `BroadcastChannel` cannot carry a `SharedArrayBuffer`: without it such a worker receives
 * only the buffers a queue's handle carried (items queued when the handle was taken). Does
 * nothing elsewhere (Node, Deno, Bun), and for the workers sabsync starts (Thread, Pool), which
 * it links itself. The worker must import sabsync statically (a top-level `import`), so that
 * the link is taken before the worker's own `message` listeners could see it.
 */
export function linkWorker(worker: Linkable): void {
  if (typeof worker !== 'object' || worker === null || typeof (worker as { postMessage?: unknown }).postMessage !== 'function') {
    throw typeError('linkWorker(worker): worker must be a Worker (an object with postMessage)');
  }
  if (Links === undefined || linked.has(worker)) return;
  linked.add(worker);
  const port = openLink()!;
  worker.postMessage({ type: LINK, port }, [port]);
}

// A Web Worker takes the end of a link its starter sent (`linkWorker`) off its global message
// event: this listener, added while the worker imports sabsync, runs before the program's own.
if (Links !== undefined) {
  const scope = globalThis as unknown as { WorkerGlobalScope?: unknown; addEventListener?(type: 'message', f: (e: { data: unknown; stopImmediatePropagation(): void }) => void): void };
  if (typeof scope.WorkerGlobalScope === 'function' && globalThis instanceof scope.WorkerGlobalScope) {
    scope.addEventListener?.('message', (e) => {
      if (!isLink(e.data)) return;
      e.stopImmediatePropagation();
      adoptLink(e.data.port);
    });
  }
}

/**
 * Open this thread's end of the side channel (idempotent). Queues call it when they are created
 * or attached, so that a thread hears about buffers from then on. Where buffers travel over
 * links (a browser), there is no channel to open.
 */
export function openChannel(): void {
  if (channel !== undefined || Links !== undefined) return;
  // Node's own BroadcastChannel where there is one (its ports can be read synchronously), else
  // the platform's.
  const Channel = wt?.BroadcastChannel ?? (globalThis as unknown as { BroadcastChannel?: new (name: string) => Port }).BroadcastChannel;
  if (Channel === undefined) return;
  channel = new Channel('sabsync:buffers');
  channel.onmessage = (e) => onMessage(e.data);
  channel.unref?.();
  if (wt === undefined) return;
  try {
    pull();
    pullable = true;
  } catch {
    // Deno: "The "port" argument must be a MessagePort instance". Posts are filed by onmessage.
  }
}

function unsupported(): never {
  throw misuse('ERR_UNSERIALIZABLE', 'a SharedArrayBuffer can cross a queue only where BroadcastChannel or MessageChannel is available');
}

/** The global id of `sab`, posting the buffer on the side channel if this thread has not yet. */
export function idOf(sab: SharedArrayBuffer): string {
  openChannel();
  if (channel === undefined && Links === undefined) unsupported();
  let id = ids.get(sab);
  if (id === undefined) id = `${origin}.${++counter}`;
  const posted = known.get(id) === sab;
  remember(id, sab);
  if (!posted) post({ id, sab });
  return id;
}

/**
 * File the `[id, buffer]` pairs a queue handle carried (anything else is ignored); returns the
 * pairs filed.
 */
export function learn(entries: unknown): [string, SharedArrayBuffer][] {
  const filed: [string, SharedArrayBuffer][] = [];
  if (!Array.isArray(entries)) return filed;
  for (const e of entries) {
    if (Array.isArray(e) && typeof e[0] === 'string' && e[1] instanceof SharedArrayBuffer) {
      if (!known.has(e[0])) remember(e[0], e[1]);
      filed.push([e[0], e[1]]);
    }
  }
  return filed;
}

/**
 * The buffers one queue's handle carries from this thread: those of every item this thread
 * put into the queue, or learned with the handle it attached by, since the queue last held no
 * item but the newest of them. Every item still queued whose buffers this thread knows is
 * among them, so a thread handed the queue can decode those items without asking anyone.
 *
 * Bounded: the entries are forgotten as soon as the queue is seen holding nothing older (a put
 * that leaves one item, a handle taken of an empty queue), and at most `MAX_KNOWN` are kept
 * (the oldest go first: the most a thread can know anyway).
 */
export class Carried {
  readonly #buffers = new Map<string, SharedArrayBuffer>();

  /** An item referring to buffers `ids` (known here) was stored; `alone`: it is the only one. */
  stored(ids: readonly string[], alone: boolean): void {
    if (alone) this.#buffers.clear();
    for (const id of ids) {
      const sab = known.get(id);
      if (sab !== undefined) this.#add(id, sab);
    }
  }

  /** Pairs learned with a handle of the queue (`learn`). */
  learned(pairs: readonly [string, SharedArrayBuffer][]): void {
    for (const [id, sab] of pairs) this.#add(id, sab);
  }

  /** The pairs for a handle (undefined if none); `empty`: the queue holds no item now. */
  entries(empty: boolean): [string, SharedArrayBuffer][] | undefined {
    if (empty) this.#buffers.clear();
    return this.#buffers.size > 0 ? [...this.#buffers] : undefined;
  }

  #add(id: string, sab: SharedArrayBuffer): void {
    this.#buffers.delete(id);
    this.#buffers.set(id, sab);
    if (this.#buffers.size > MAX_KNOWN) this.#buffers.delete(this.#buffers.keys().next().value as string);
  }
}

/** Whether every buffer of `ids` is known to this thread (none to fetch). */
export function knows(ids: readonly string[]): boolean {
  for (const id of ids) if (!known.has(id)) return false;
  return true;
}

/** The buffer with global id `id`; it must have been fetched (`fetchSteps`). */
export function bufferOf(id: string): SharedArrayBuffer {
  const sab = known.get(id);
  if (sab === undefined) throw misuse('ERR_UNSERIALIZABLE', `shared buffer ${id} was not received`);
  return sab;
}

function pull(): void {
  for (let m = wt!.receiveMessageOnPort(channel!); m !== undefined; m = wt!.receiveMessageOnPort(channel!)) {
    onMessage(m.message);
  }
}

/** File what the channel holds now, where it can be read synchronously. */
function drain(): void {
  if (pullable) pull();
}

/** Gets between two drains of the channel by `tidy`. */
const TIDY_EVERY = 256;
let untidy = 0;

/** Called on every get: every `TIDY_EVERY` calls, file what the channel holds. */
export function tidy(): void {
  if (++untidy < TIDY_EVERY || channel === undefined) return;
  untidy = 0;
  drain();
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Make sure every buffer of `needed` is known to this thread: drain the channel, then ask for
 * what is missing and wait (1 ms naps, parks usable by both runners) until `deadline` (the
 * get's own) or `FETCH_TIMEOUT` ms, whichever comes first. True once every buffer is here;
 * false if `deadline` passed first; throws `ERR_UNSERIALIZABLE` if `FETCH_TIMEOUT` did.
 */
export function* fetchSteps(needed: readonly string[], deadline: number): Steps<boolean> {
  if (knows(needed)) return true;
  openChannel();
  if (channel === undefined && Links === undefined) unsupported();
  drain();
  let missing = needed.filter((id) => !known.has(id));
  if (missing.length > 0) {
    for (const id of missing) {
      ask(id);
      wanted.add(id);
    }
    try {
      const giveUp = deadlineAfter(FETCH_TIMEOUT);
      while (missing.length > 0) {
        if (remaining(deadline) === 0) return false;
        if (!pullable && !parkingAsync()) {
          throw misuse(
            'ERR_CANNOT_BLOCK',
            `shared buffer ${missing[0]} of this item has not reached this thread, and in this runtime (a browser, Deno) a buffer arrives only while the thread's event loop runs, which a synchronous get() blocks: use getAsync() instead (the item stays queued)`,
          );
        }
        if (remaining(giveUp) === 0) {
          const how = Links !== undefined ? ' (in a browser a buffer reaches a Web Worker you started yourself only if you called linkWorker(worker) after new Worker and the worker imports sabsync statically, at its top level, or with a queue handle taken while the item was queued)' : '';
          throw misuse(
            'ERR_UNSERIALIZABLE',
            `shared buffer ${missing[0]} of this item never arrived on the side channel (no thread that knows it answered within ${FETCH_TIMEOUT} ms)${how}`,
          );
        }
        // The nap word never changes: this park is a plain 1 ms sleep between drains.
        yield park(nap, 0, 0, Math.min(deadline, giveUp, deadlineAfter(1)));
        drain();
        missing = missing.filter((id) => !known.has(id));
      }
    } finally {
      for (const id of needed) wanted.delete(id);
    }
  }
  for (const id of needed) remember(id, known.get(id)!);
  return true;
}
