// Worker of the condition demo: speak every other line of the dialog, waiting for our turn.
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Condition } from 'sabsync';

const { name, first, dialog } = workerData;
const cond = Condition.from(workerData.cond);
const turn = new Int32Array(workerData.turn);
/** A reply slower than this means the other speaker is gone: fail instead of hanging. */
const PATIENCE_MS = 5_000;

// Straight to stdout (fd 1), so lines from different threads appear in the order they happen.
const say = (text) => writeSync(1, `  ${name.padStart(10)}: ${text}\n`);

cond.acquire();
try {
  for (let line = first; line < dialog.length; line += 2) {
    if (!cond.waitFor(() => turn[0] === line, PATIENCE_MS)) {
      throw new Error(`${name} waited ${PATIENCE_MS} ms for its turn at line ${line}`);
    }
    say(dialog[line]);
    turn[0] = line + 1;
    cond.notify();
  }
} finally {
  cond.release();
}
