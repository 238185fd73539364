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
import { startWorker, type RuntimeWorker } from '../runtime/worker.js';
import { ENDED, IDENT, STATE, type FromSupervisor, type ToSupervisor } from './words.js';

const SUPERVISOR_URL = new URL('./supervisor.js', import.meta.url);

let supervisor: RuntimeWorker | undefined;
/** Threads started and not yet reported ended: key → whether it keeps the process alive. */
const unended = new Map<number, { keepsAlive: boolean; control: Int32Array }>();
let keepingAlive = 0;
let lastKey = 0;

function supervisorWorker(): RuntimeWorker {
  if (supervisor === undefined) {
    const worker = startWorker(SUPERVISOR_URL, {
      data: { live: livenessTable() },
      onMessage: (m) => settled((m as FromSupervisor).ended),
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
