// Bench worker: one side of a ping-pong between two workers, `n` round trips per round, over
// the mechanism `workerData.data.kind` names. Worker 0 serves, worker 1 answers; one round trip
// is worker 0 -> worker 1 -> worker 0. Every kind leaves a shared turn counter at 2n, which the
// main thread checks.
import { workerData } from 'node:worker_threads';
import { revive } from 'sabsync';
import { serveRounds } from '../lib.mjs';

const { index } = workerData;
const { kind, turn, handles } = workerData.data;
const t = new Int32Array(turn);

const loops = {
  // The floor: one Int32 word counting turns; each side sleeps until the count is its turn,
  // then advances it and wakes the other. Plain Atomics.wait / Atomics.notify, no spinning.
  raw() {
    return (n) => {
      for (let my = index; my < 2 * n; my += 2) {
        let v;
        while ((v = Atomics.load(t, 0)) !== my) Atomics.wait(t, 0, v);
        Atomics.store(t, 0, my + 1);
        Atomics.notify(t, 0);
      }
    };
  },
  // Two workers alternating under one Condition, the lock held across all rounds: wait for
  // your turn, take it, notify.
  condition() {
    const cond = revive(handles.cond);
    return (n) => {
      cond.acquire();
      try {
        for (let my = index; my < 2 * n; my += 2) {
          while (t[0] !== my) cond.wait();
          t[0] = my + 1;
          cond.notify();
        }
      } finally {
        cond.release();
      }
    };
  },
  // The same, written the Python way: every round takes the lock, waits for its turn, takes
  // it, notifies and lets the lock go (`with cond: cond.wait_for(...); ...; cond.notify()`),
  // so the waiter woken by a notify must also win the lock back from its notifier.
  python() {
    const cond = revive(handles.cond);
    return (n) => {
      for (let my = index; my < 2 * n; my += 2) {
        cond.acquire();
        try {
          cond.waitFor(() => t[0] === my);
          t[0] = my + 1;
          cond.notify();
        } finally {
          cond.release();
        }
      }
    };
  },
  // Two Events, one each way: worker 0 sets `ping` and waits for `pong`; worker 1 waits for
  // `ping` and answers with `pong`. Each side clears the event it waited for before answering,
  // so the next set is never mistaken for this one.
  event() {
    const ping = revive(handles.ping);
    const pong = revive(handles.pong);
    const [mine, theirs] = index === 0 ? [pong, ping] : [ping, pong];
    return (n) => {
      for (let my = index; my < 2 * n; my += 2) {
        if (index === 0) {
          t[0] = my + 1;
          theirs.set();
          mine.wait();
          mine.clear();
        } else {
          mine.wait();
          mine.clear();
          t[0] = my + 1;
          theirs.set();
        }
      }
    };
  },
};

serveRounds(loops[kind]());
