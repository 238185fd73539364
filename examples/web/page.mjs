// The race demos page: each panel's Run button starts module Web Workers (worker.mjs; for the
// speed-up, a Pool whose workers run tasks.mjs) that share memory with this page, and a
// requestAnimationFrame loop draws that memory while they run.
// Everything a panel shows comes from the shared words (or, at the end, from what the workers
// returned), so what you see is what the threads did. The page never blocks: it uses the
// ...Async twins (a browser's main thread may not wait).
import { Barrier, Condition, Lock, Pool, Queue, cpuCount } from '/dist/index.js';

const NAMES = 'ABCDEFGH';
const fmt = (n) => Math.round(n).toLocaleString('en-US');
/** A CSS width for `part` of `whole`, in fixed notation (a tiny share would print as 5e-05%). */
const share = (part, whole) => `${((part / whole) * 100).toFixed(3)}%`;
const now = () => performance.timeOrigin + performance.now();
const $ = (root, selector) => root.querySelector(selector);
const el = (tag, className, text) => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** Run `job` in a fresh module worker; resolves to what it returned. */
function work(job) {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: `${job.job} ${NAMES[job.me] ?? ''}` });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`worker ${NAMES[job.me]} (${job.job}) did not finish in 60 s`)), 60_000);
    const fail = (e) => {
      clearTimeout(timer);
      worker.terminate();
      reject(e);
    };
    worker.onmessage = ({ data }) => {
      clearTimeout(timer);
      worker.terminate();
      if ('error' in data) reject(new Error(data.error));
      else resolve(data.ok);
    };
    worker.onerror = (e) => fail(new Error(`worker ${NAMES[job.me]} failed: ${e.message}`));
    worker.postMessage(job);
  });
}

/** Call `draw` on every frame until the returned stop() (which draws once more, the final state). */
function animate(draw) {
  let on = true;
  const frame = () => {
    if (!on) return;
    draw();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return () => {
    on = false;
    draw();
  };
}

/** Wire a panel's Run button to `run(root)`, which returns the line to show when done. */
function panel(id, run) {
  const root = document.getElementById(id);
  const button = $(root, 'button.run');
  const status = $(root, '.status');
  let runs = 0;
  button.addEventListener('click', async () => {
    button.disabled = true;
    root.dataset.state = 'running';
    status.textContent = 'running…';
    runs += 1;
    try {
      status.textContent = await run(root);
      root.dataset.state = 'done';
    } catch (e) {
      console.error(e);
      status.textContent = `failed: ${e.message}`;
      root.dataset.state = 'failed';
    } finally {
      root.dataset.runs = String(runs);
      button.disabled = false;
      button.textContent = 'Run again';
    }
  });
}

/** One labelled bar per worker in `root`'s .lanes; returns a setter: set(w, fraction, label). */
function lanes(root, count) {
  const box = $(root, '.lanes');
  box.replaceChildren();
  const bars = Array.from({ length: count }, (_, w) => {
    const lane = el('div', 'lane');
    const bar = el('div', `bar w${w}`);
    const label = el('span', 'lane-label');
    lane.append(el('b', `name w${w}`, NAMES[w]), el('div', 'track'), label);
    lane.children[1].append(bar);
    box.append(lane);
    return { lane, bar, label };
  });
  return (w, fraction, text) => {
    bars[w].bar.style.width = `${Math.min(100, fraction * 100).toFixed(2)}%`;
    bars[w].label.textContent = text;
    bars[w].lane.dataset.value = text;
  };
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: the race, without and with a Lock.

// The race's shared words (the same table as in worker.mjs).
const COUNTER = 0; //   the shared counter
const READY = 1; //     workers about to count
//    HOLDER = 2: the lock's last holder (worker.mjs's alone)
const DONE = 3; //      DONE + w: increments worker w has finished
const HANDOVERS = 5; // entries in the lock's holder log
const OVERFLOWED = 6; // the log filled up
const WORDS = 8;
/**
 * Increments per worker, and the rounds of work between the read and the write of each (the
 * race's window). Both can be changed in the address: ?times=100000&rounds=0.
 */
const params = new URLSearchParams(location.search);
const TIMES = Math.max(1, Number(params.get('times')) || 1_000_000);
const ROUNDS = Math.max(0, Number(params.get('rounds') ?? 500) || 0);
const LOG_CAPACITY = 1 << 16;
/** The last run without a lock ({ ms, lost }), to compare with. */
let lastUnlocked;

async function race(root, withLock) {
  const words = new SharedArrayBuffer(WORDS * 4);
  const w = new Int32Array(words);
  const log = { times: new SharedArrayBuffer(LOG_CAPACITY * 8), who: new SharedArrayBuffer(LOG_CAPACITY * 4) };
  const times = new Float64Array(log.times);
  const who = new Int32Array(log.who);
  const lock = withLock ? new Lock() : undefined;
  const total = 2 * TIMES;
  const setLane = lanes(root, 2);
  const canvas = $(root, 'canvas.timeline');
  let until; // the end of the run, once known (the timeline is drawn up to now until then)

  const draw = () => {
    const counter = Atomics.load(w, COUNTER);
    const done = [0, 1].map((k) => Atomics.load(w, DONE + k));
    // A worker publishes its progress every 64 increments: the counter can run a little ahead.
    const doneAll = Math.max(done[0] + done[1], counter);
    $(root, '.counter').textContent = fmt(counter);
    $(root, '.expected').textContent = fmt(doneAll);
    $(root, '.kept').style.width = share(counter, total);
    $(root, '.lost').style.width = share(doneAll - counter, total);
    const lost = $(root, '.lostcount');
    if (lost) lost.textContent = fmt(doneAll - counter);
    for (const k of [0, 1]) setLane(k, done[k] / TIMES, `${fmt(done[k])} increments`);
    if (canvas) drawTimeline(canvas, times, who, Atomics.load(w, HANDOVERS), until ?? now());
  };
  const stop = animate(draw);
  let results;
  try {
    const start = new Barrier(2);
    results = await Promise.all([0, 1].map((me) => work({ job: 'race', me, words, log, times: TIMES, rounds: ROUNDS, lock: lock?.handle, start: start.handle })));
  } finally {
    until = results ? Math.max(...results.map((r) => r.end)) : now();
    stop();
  }
  const counter = w[COUNTER];
  const ms = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
  const handovers = w[HANDOVERS];
  const lost = total - counter;
  const li = el('li');
  Object.assign(li.dataset, { counter: String(counter), expected: String(total), ms: ms.toFixed(0) });
  const meter = el('span', 'mini');
  meter.append(el('span', 'kept'), el('span', 'lost'));
  meter.children[0].style.width = share(counter, total);
  meter.children[1].style.width = share(lost, total);
  if (withLock) {
    li.dataset.handovers = String(handovers);
    li.append(meter, `counter ${fmt(counter)} of ${fmt(total)} — ${lost === 0 ? 'exact' : `${fmt(lost)} lost`}, in ${fmt(ms)} ms; the lock changed hands ${fmt(handovers)}${w[OVERFLOWED] ? '+' : ''} times`);
  } else {
    li.append(meter, `counter ${fmt(counter)} of ${fmt(total)} — ${lost === 0 ? 'right this time, by luck' : `${fmt(lost)} updates lost (${((lost / total) * 100).toFixed(1)} %)`}, in ${fmt(ms)} ms`);
  }
  $(root, '.history').append(li);
  if (!withLock) lastUnlocked = { ms, lost };
  if (withLock) {
    if (lost !== 0) return `wrong by ${fmt(lost)} — with a Lock this must not happen`;
    return `exact: ${fmt(counter)}, in ${fmt(ms)} ms${lastUnlocked === undefined ? '' : ` (without the lock: ${fmt(lastUnlocked.ms)} ms${lastUnlocked.lost > 0 ? ', and wrong' : ''})`}`;
  }
  return lost === 0 ? `${fmt(counter)}: right this time — run it again` : `${fmt(counter)} instead of ${fmt(total)}: ${fmt(lost)} updates lost`;
}

/** The lock's holders over time: a segment per stretch during which one worker took it. */
function drawTimeline(canvas, times, who, n, until) {
  const ctx = canvas.getContext('2d');
  const width = canvas.width;
  const height = canvas.height;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#eef0f4';
  ctx.fillRect(0, 0, width, height);
  const label = canvas.parentElement.querySelector('.handovers');
  label.textContent = n > 0 ? `changed hands ${fmt(n)} times` : '';
  if (n === 0) return;
  const from = times[0];
  const span = Math.max(until - from, 1);
  canvas.parentElement.querySelector('.axis-end').textContent = `${fmt(span)} ms`;
  const colors = [null, getComputedStyle(canvas).getPropertyValue('--w0'), getComputedStyle(canvas).getPropertyValue('--w1')];
  for (let k = 0; k < n; k++) {
    const x0 = ((times[k] - from) / span) * width;
    const x1 = ((k + 1 < n ? times[k + 1] : until) - from) / span * width;
    ctx.fillStyle = colors[who[k]];
    ctx.fillRect(x0, 0, Math.max(x1 - x0, 1), height);
  }
  canvas.dataset.holders = [...new Set(who.subarray(0, n))].sort().map((h) => NAMES[h - 1]).join('');
}

// ---------------------------------------------------------------------------------------------
// 3: the dialog over a Condition.

/** The conversation, in speaking order: A says the even lines, B the odd ones. */
const DIALOG = [
  'B, are you there? I hold the lock, so the turn is mine.',
  'I am here. I was asleep in cond.waitFor, which let go of the lock while I waited.',
  'Then I pass you the turn: turn = 1, and cond.notify().',
  'The notify woke me, I took the lock back, and the turn is mine: I speak.',
  'We never talk over each other: only the one holding the lock speaks.',
  'And whoever waits uses no CPU at all: it sleeps in Atomics.wait.',
  'Had you started before me, you would have checked the turn and waited.',
  'That is why we wait for a condition, not for a bare notify: none can be missed. Bye!',
];
const PAUSE_MS = 300;
const SPEAKER_STATES = ['starting', 'waiting (lock let go)', 'speaking (holds the lock)', 'done'];

async function dialog(root) {
  const cond = new Condition();
  const words = new SharedArrayBuffer(3 * 4); // [turn, state of A, state of B]
  const w = new Int32Array(words);
  const spoken = new SharedArrayBuffer(DIALOG.length * 4);
  const said = new Int32Array(spoken);
  const chat = $(root, '.chat');
  const chips = $(root, '.speakers');
  chat.replaceChildren();
  chips.replaceChildren(...[0, 1].map((k) => el('span', `chip w${k}`)));
  const typing = el('div', 'line typing');
  let shown = 0;
  const draw = () => {
    for (const k of [0, 1]) chips.children[k].textContent = `${NAMES[k]}: ${SPEAKER_STATES[Atomics.load(w, 1 + k)]}`;
    while (shown < DIALOG.length && Atomics.load(said, shown) !== 0) {
      const k = Atomics.load(said, shown) - 1;
      const line = el('div', `line w${k}`);
      line.dataset.speaker = NAMES[k];
      line.append(el('b', `name w${k}`, NAMES[k]), el('span', 'text', DIALOG[shown]));
      chat.append(line);
      shown += 1;
    }
    const speaking = [0, 1].find((k) => Atomics.load(w, 1 + k) === 2);
    if (speaking === undefined) typing.remove();
    else {
      typing.className = `line typing w${speaking}`;
      typing.replaceChildren(el('b', `name w${speaking}`, NAMES[speaking]), el('span', 'text', '…'));
      chat.append(typing);
    }
  };
  const stop = animate(draw);
  try {
    // B first on purpose: it must wait for A, whichever worker starts first.
    await Promise.all([1, 0].map((me) => work({ job: 'speaker', me, cond: cond.handle, words, spoken, pause: PAUSE_MS })));
  } finally {
    stop();
  }
  const order = [...said].map((k) => NAMES[k - 1] ?? '?').join('');
  const alternating = [...said].every((k, i) => k === 1 + (i % 2));
  return `${said.filter((k) => k !== 0).length} lines, ${alternating ? 'strictly alternating' : 'NOT alternating'} (${order})`;
}

// ---------------------------------------------------------------------------------------------
// 4: the crawler on a Queue.

const PAGES = 40;
const CRAWLERS = 3;
/** A fetch takes from LATENCY[0] to LATENCY[1] ms. */
const LATENCY = [60, 220];
const url = (page) => `https://example.test/page/${page}`;

async function crawl(root) {
  const todo = new Queue();
  const state = new SharedArrayBuffer(PAGES * 4);
  const visits = new SharedArrayBuffer(PAGES * 4);
  const count = new SharedArrayBuffer((1 + CRAWLERS) * 4);
  const st = new Int32Array(state);
  const v = new Int32Array(visits);
  const n = new Int32Array(count);
  const grid = $(root, '.grid');
  grid.replaceChildren(...Array.from({ length: PAGES }, (_, page) => el('span', 'page', String(page))));
  const setLane = lanes(root, CRAWLERS);
  const draw = () => {
    for (let page = 0; page < PAGES; page++) {
      const s = Atomics.load(st, page);
      const cell = grid.children[page];
      cell.className = s === 0 ? 'page' : s === 1 ? 'page queued' : s < 20 ? `page fetching w${s - 10}` : `page done w${s - 20}`;
      cell.dataset.visits = String(Atomics.load(v, page));
    }
    $(root, '.qsize').textContent = String(todo.qsize());
    $(root, '.unfinished').textContent = String(Atomics.load(n, 0));
    for (let k = 0; k < CRAWLERS; k++) {
      const got = Atomics.load(n, 1 + k);
      setLane(k, got / PAGES, `${got} pages`);
    }
  };
  const stop = animate(draw);
  const t0 = now();
  let ms;
  try {
    const crawlers = Array.from({ length: CRAWLERS }, (_, me) => work({ job: 'crawler', me, todo: todo.handle, state, visits, count, pages: PAGES, latency: LATENCY }));
    for (const page of [0, 1, 2]) {
      Atomics.store(st, page, 1);
      Atomics.add(n, 0, 1);
      await todo.putAsync(url(page));
    }
    const stopped = Promise.all(crawlers).then(() => {
      throw new Error('the crawlers stopped before every task was done');
    });
    await Promise.race([todo.joinAsync(), stopped]);
    ms = now() - t0;
    todo.shutdown(); // ends every crawler's `for await` loop
    await Promise.all(crawlers);
  } finally {
    stop();
  }
  const fetched = [...v];
  const once = fetched.every((k) => k === 1);
  const per = Array.from({ length: CRAWLERS }, (_, k) => n[1 + k]);
  const li = el('li', '', `${fetched.filter((k) => k > 0).length} of ${PAGES} pages, ${once ? 'each fetched exactly once' : 'NOT each once'}, in ${fmt(ms)} ms — ${per.map((k, i) => `${NAMES[i]} ${k}`).join(', ')}`);
  li.dataset.visits = fetched.join(',');
  li.dataset.perWorker = per.join(',');
  $(root, '.history').append(li);
  return `joinAsync() returned after ${fmt(ms)} ms: every put matched by a taskDone(); shutdown() ended the loops`;
}

// ---------------------------------------------------------------------------------------------
// 5: the speed-up.

/** fib(27) … fib(34), three times: some long tasks and some short ones. */
const NS = Array.from({ length: 24 }, (_, i) => 27 + (i % 8));
const WIDE = Math.max(2, Math.min(8, cpuCount()));

function fibOf(n) {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/**
 * Compute fib of every n of NS with a Pool of `workers` workers, which take their next task from
 * the pool's shared task queue themselves; draw a bar per worker in `box` from the shared tally
 * the tasks count themselves in (tasks.mjs).
 */
async function fibRound(box, workers) {
  const row = el('div', 'round');
  const head = el('div', 'round-head', `${workers} worker${workers === 1 ? '' : 's'}`);
  const clock = el('output', 'clock', '');
  head.append(' · ', clock);
  row.append(head, el('div', 'lanes'));
  box.append(row);
  const setLane = lanes(row, workers);
  const words = new SharedArrayBuffer((1 + 2 * workers) * 4);
  const tally = new Int32Array(words);
  const values = new Array(NS.length);
  let t0;
  let ms;
  const draw = () => {
    clock.textContent = t0 === undefined ? 'starting the workers' : `${fmt(ms ?? now() - t0)} ms`;
    for (let k = 0; k < workers; k++) {
      const did = Atomics.load(tally, 1 + 2 * k);
      setLane(k, did / NS.length, `${did} tasks, ${fmt(Atomics.load(tally, 2 + 2 * k))} ms busy`);
    }
  };
  const stop = animate(draw);
  const pool = new Pool(new URL('./tasks.mjs', import.meta.url), { workers, initializer: 'arrive', initArgs: [words] });
  try {
    // Every worker started and its initializer run (fib compiled), so the clock times the work alone.
    for (const deadline = now() + 30_000; Atomics.load(tally, 0) < workers; ) {
      if (now() > deadline) throw new Error(`${Atomics.load(tally, 0)} of ${workers} pool workers started in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    t0 = now();
    for await (const { i, value } of pool.imapUnordered('fibTask', NS.map((n, i) => ({ i, n })))) values[i] = value;
    ms = now() - t0;
  } finally {
    stop();
    await pool.terminate();
  }
  row.dataset.ms = ms.toFixed(0);
  row.dataset.results = JSON.stringify(NS.map((n, i) => [n, values[i]]));
  row.dataset.perWorker = Array.from({ length: workers }, (_, k) => tally[1 + 2 * k]).join(',');
  const right = NS.every((n, i) => values[i] === fibOf(n));
  row.append(el('div', 'round-foot', `${right ? 'all' : 'NOT all'} ${NS.length} results right (fib(34) = ${fmt(values[7])})`));
  return { ms, right };
}

async function speedup(root) {
  const box = $(root, '.rounds');
  box.replaceChildren();
  const one = await fibRound(box, 1);
  const wide = await fibRound(box, WIDE);
  const ratio = one.ms / wide.ms;
  const li = el('li', '', `1 worker ${fmt(one.ms)} ms · ${WIDE} workers ${fmt(wide.ms)} ms · speed-up ×${ratio.toFixed(2)}`);
  li.dataset.speedup = ratio.toFixed(2);
  $(root, '.history').append(li);
  if (!one.right || !wide.right) throw new Error('a result was wrong');
  return `speed-up ×${ratio.toFixed(2)} with ${WIDE} workers`;
}

// ---------------------------------------------------------------------------------------------

const env = document.getElementById('env');
if (!globalThis.crossOriginIsolated) {
  env.textContent = 'This page is not cross-origin isolated, so it has no SharedArrayBuffer: serve it with `npm run demo:web` (which sends the COOP/COEP headers).';
  env.classList.add('bad');
  for (const b of document.querySelectorAll('button.run')) b.disabled = true;
} else {
  env.textContent = `Cross-origin isolated: SharedArrayBuffer available · ${cpuCount()} cores here · the speed-up demo uses ${WIDE} workers.`;
}
for (const t of document.querySelectorAll('.times')) t.textContent = fmt(TIMES);
for (const t of document.querySelectorAll('.tasks')) t.textContent = String(NS.length);

panel('race', (root) => race(root, false));
panel('lock', (root) => race(root, true));
panel('dialog', dialog);
panel('crawler', crawl);
panel('speedup', speedup);
document.body.dataset.ready = 'true';
