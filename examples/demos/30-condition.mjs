// Condition: two workers recite a poem, taking turns. Each waits on a Condition until it is
// its turn, speaks its line, passes the turn on and notifies the other.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Condition } from 'sabsync';

export const title = 'two workers taking turns in a dialog over a Condition';

const worker = new URL('./workers/poem.mjs', import.meta.url);

// The dialog, in speaking order: Upstream says the even lines, Downstream the odd ones.
const DIALOG = [
  'Downstream, are you there?',
  'I am here.',
  "Let's take turns with a poem.",
  'Gladly.',
  'I live where the great river begins,',
  'you live where the great river ends.',
  'Day after day I think of you and never see you,',
  'yet we drink from the same river.',
  'When will this water stop flowing?',
  'When will this longing come to rest?',
  'If only your heart were like mine —',
  'I would never fail this longing of ours.',
];

export async function main() {
  const cond = new Condition();
  // turn[0]: index of the line to speak next. Read and written only with the Condition's lock held.
  const turn = new Int32Array(new SharedArrayBuffer(4));

  // Start Downstream first on purpose: it has to wait for Upstream, whichever starts first.
  const speakers = ['Downstream', 'Upstream'].map(
    (name) => new Worker(worker, { workerData: { name, first: name === 'Upstream' ? 0 : 1, dialog: DIALOG, cond: cond.handle, turn: turn.buffer } }),
  );
  await Promise.all(speakers.map((w) => once(w, 'exit')));

  console.log(`\n  ${turn[0]} lines, strictly alternating.`);
  console.log('  Each speaker holds the Condition\'s lock, and cond.waitFor(() => turn is mine) releases');
  console.log('  it while waiting and takes it back before returning. The speaker whose turn it is');
  console.log('  says its line, moves the turn on and calls cond.notify() to wake the other one.');
  console.log('  Waiting for a condition on shared state (not just for a notify) makes the start order');
  console.log('  irrelevant: a notify sent before the other side waits would otherwise be lost.');
  if (turn[0] !== DIALOG.length) throw new Error(`the dialog stopped after ${turn[0]} lines`);
}
