/**
 * The creating thread's side of supervision (supervisor.ts is the other): start this thread's
 * supervisor at its first `start()`, hand it Threads to start or terminate, and keep the
 * process alive while a non-daemon Thread runs — the supervisor is ref'd while the count of
 * such Threads is above 0 and unref'd when its report of the last one's end arrives. The
 * Thread workers are the supervisor's children, so a ref'd supervisor keeps them (and the
 * process) alive; an unref'd one lets the process exit and take daemon threads with it.
 */
import { wake } from '../primitives/futex.js';
import { livenessTable, markDead } from '../primitives/liveness.js';
import { adoptLink, isLink, linksUsed } from '../queue/buffers.js';
import { startWorker, type RuntimeWorker } from '../runtime/worker.js';
import { ENDED, IDENT, STATE, type FromSupervisor, type ToSupervisor } from './words.js';

const SUPERVISOR_URL = new URL('./supervisor.js', import.meta.url);

let supervisor: RuntimeWorker | undefined;
/** Threads started and not yet reported ended: key → whether it keeps the process alive. */
const unended = new Map<number, { keepsAlive: boolean; control: Int32Array }>();
let keepingAlive = 0;
let lastKey = 0;
/** Whether the supervisor has said anything yet (in a browser, its link: then it runs). */
let heard = false;

/**
 * Whether the supervisor runs, so that a Thread started now starts even while this thread
 * blocks. In a browser a worker starts only once the thread that created it returns to its
 * event loop: until the supervisor's first message arrives, a blocking wait here for a Thread
 * to start would wait for good. Elsewhere workers start on their own.
 */
export function supervisorReady(): boolean {
  return heard || !linksUsed();
}

function supervisorWorker(): RuntimeWorker {
  if (supervisor === undefined) {
    const worker = startWorker(SUPERVISOR_URL, {
      data: { live: livenessTable() },
      // The supervisor's buffer link (a browser: links.ts), then its reports of ended threads.
      onMessage: (m) => {
        heard = true;
        if (isLink(m)) adoptLink(m.port);
        else settled((m as FromSupervisor).ended);
      },
      onExit: () => {
        // Never, while this thread lives, unless the supervisor itself was killed: its Thread
        // workers died with it. Mark them dead (their locks are taken over) and wake every joiner.
        supervisor = undefined;
        for (const [key, { control }] of unended) {
          const id = Atomics.load(control, IDENT);
          if (id !== 0) markDead(id);
          Atomics.store(control, STATE, ENDED);
          wake(control, STATE);
          settled(key);
        }
      },
    });
    // Unref'd after its listeners are added (a 'message' listener refs it again): only
    // non-daemon Threads keep the process alive.
    worker.unref();
    supervisor = worker;
  }
  return supervisor;
}

function settled(key: number): void {
  const entry = unended.get(key);
  if (entry === undefined) return;
  unended.delete(key);
  if (entry.keepsAlive && --keepingAlive === 0) supervisor?.unref();
}

/**
 * Ask the supervisor (started now if need be) to start a Thread described by `spawn` (less its
 * key, given here); returns the key that names it to the supervisor.
 */
export function supervise(spawn: Omit<Extract<ToSupervisor, { spawn: unknown }>['spawn'], 'key'>, control: Int32Array, keepsAlive: boolean): number {
  const worker = supervisorWorker();
  const key = ++lastKey;
  unended.set(key, { keepsAlive, control });
  if (keepsAlive && keepingAlive++ === 0) worker.ref();
  worker.postMessage({ spawn: { ...spawn, key } } satisfies ToSupervisor);
  return key;
}

/** Ask the supervisor to terminate the Thread `key` (nothing if it has ended). */
export function terminate(key: number): void {
  if (unended.has(key)) supervisor?.postMessage({ terminate: key } satisfies ToSupervisor);
}
