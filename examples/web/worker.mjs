// The module Web Worker of the race demos page (page.mjs starts a fresh one per worker per run).
// It imports the built package as the page does, does the job of the page's first message,
// writes what it is doing into shared memory as it goes (the page draws from there on every
// frame), and posts back { ok } when done, or { error }.
import { Barrier, Condition, Lock, Queue } from '/dist/index.js';

// The layout of the race's shared words, one Int32Array (page.mjs has the same table).
const COUNTER = 0; //   the shared counter: plain reads and writes, the thing that races
const READY = 1; //     workers awake and about to count (they start together)
const HOLDER = 2; //    1 + the worker that last took the Lock (the Lock race only)
const DONE = 3; //      DONE + w: how many increments worker w has finished (its own, exact)
const HANDOVERS = 5; // entries in the holder log so far
const OVERFLOWED = 6; // 1 once the log was full (the timeline then ends early)

/** Block this worker for `ms` milliseconds (a worker may block; a page may not). */
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A clock shared by every thread of the page (each thread's performance.now() starts at its own origin). */
const now = () => performance.timeOrigin + performance.now();

/**
 * Some work between the read and the write of an increment, as real code has (a function call,
 * a computation): the longer the gap, the likelier the other worker writes in between.
 */
function think(rounds) {
  let x = 0;
  for (let i = 0; i < rounds; i++) x = (x * 31 + i) | 0;
  return x & 1; // 0 or 1, unknowable to the compiler, so the loop cannot be dropped
}

const jobs = {
  /**
   * `times` increments of the shared counter: read it, think, write it back plus one. With
   * `lock`, each increment happens holding the Lock, and every change of holder is logged
   * (time, worker) for the timeline.
   */
  race({ me, words, log, times, rounds, lock, start }) {
    const w = new Int32Array(words);
    const takenAt = new Float64Array(log.times);
    const takenBy = new Int32Array(log.who);
    const theLock = lock && Lock.from(lock);
    // Start together: sleep in the Barrier until the other worker has started too, then spin
    // until it is awake as well (waking up takes a while: one worker could be done before the
    // other runs at all, and there would be nothing to see).
    Barrier.from(start).wait(10_000);
    Atomics.add(w, READY, 1);
    while (Atomics.load(w, READY) < 2);
    const began = now();
    let sink = 0;
    if (theLock === undefined) {
      for (let i = 0; i < times; i++) {
        const seen = w[COUNTER]; //  read
        sink += think(rounds); //   ... the other worker may write meanwhile ...
        w[COUNTER] = seen + 1; //   write: whatever it wrote in between is lost
        if ((i & 63) === 63) Atomics.store(w, DONE + me, i + 1);
      }
    } else {
      for (let i = 0; i < times; i++) {
        theLock.acquire();
        if (w[HOLDER] !== me + 1) {
          // A new holder: log it (a plain write is safe here, the Lock orders it).
          w[HOLDER] = me + 1;
          const k = w[HANDOVERS];
          if (k < takenBy.length) {
            takenAt[k] = now();
            takenBy[k] = me + 1;
            Atomics.store(w, HANDOVERS, k + 1);
          } else w[OVERFLOWED] = 1;
        }
        const seen = w[COUNTER];
        sink += think(rounds);
        w[COUNTER] = seen + 1;
        theLock.release();
        if ((i & 63) === 63) Atomics.store(w, DONE + me, i + 1);
      }
    }
    Atomics.store(w, DONE + me, times);
    return { sink, start: began, end: now() };
  },

  /**
   * One speaker of the dialog: holding the Condition's lock, wait until it is our turn
   * (cond.waitFor releases the lock while it sleeps), speak, pass the turn on, notify.
   * words: [turn, state of speaker 0, state of speaker 1]; spoken[line] = 1 + who spoke it.
   */
  speaker({ me, cond, words, spoken, pause }) {
    const c = Condition.from(cond);
    const w = new Int32Array(words);
    const said = new Int32Array(spoken);
    const STATE = 1 + me; // 1 waiting, 2 speaking, 3 finished
    c.acquire();
    try {
      for (let line = me; line < said.length; line += 2) {
        Atomics.store(w, STATE, 1);
        if (!c.waitFor(() => w[0] === line, 10_000)) throw new Error(`speaker ${me} waited 10 s for line ${line}`);
        Atomics.store(w, STATE, 2);
        sleepSync(pause); // speaking takes a moment; the lock is ours meanwhile
        Atomics.store(said, line, me + 1);
        w[0] = line + 1;
        c.notify();
      }
    } finally {
      Atomics.store(w, STATE, 3);
      c.release();
    }
    return said.length;
  },

  /**
   * A crawler: take URLs from the queue until it is shut down, "fetch" each one (a wait), queue
   * the links nobody has queued yet, mark the URL done. state[page]: 0 not found yet, 1 queued,
   * 10 + w being fetched by w, 20 + w fetched by w. visits[page]: how many times it was fetched.
   * count[0]: unfinished tasks (puts minus taskDone calls: what join() waits for),
   * count[1 + w]: pages worker w fetched.
   */
  async crawler({ me, todo, state, visits, count, pages, latency }) {
    const q = Queue.from(todo);
    const st = new Int32Array(state);
    const v = new Int32Array(visits);
    const n = new Int32Array(count);
    for await (const url of q) {
      const page = Number(url.split('/').pop());
      Atomics.add(v, page, 1);
      Atomics.store(st, page, 10 + me);
      await sleep(latency[0] + ((page * 37) % (latency[1] - latency[0]))); // the "network"
      for (const link of linksOf(page, pages)) {
        // Whoever flips it from 0 (not found) to 1 (queued) queues it: every page exactly once.
        if (Atomics.compareExchange(st, link, 0, 1) !== 0) continue;
        Atomics.add(n, 0, 1);
        await q.putAsync(`https://example.test/page/${link}`);
      }
      Atomics.store(st, page, 20 + me);
      Atomics.add(n, 1 + me, 1);
      Atomics.sub(n, 0, 1);
      q.taskDone();
    }
    return Atomics.load(n, 1 + me);
  },
};

/** The fake web: page n links to the same few pages every time. */
function linksOf(n, pages) {
  return [(n * 7 + 3) % pages, (n * 11 + 5) % pages, (n + 1) % pages];
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ ok: await jobs[data.job](data) });
  } catch (e) {
    self.postMessage({ error: `${e?.code ?? e?.name}: ${e?.message}` });
  }
};
