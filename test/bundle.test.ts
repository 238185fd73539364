/**
 * sabsync inside a bundle, as an app bundled with esbuild uses it: the entry imports only
 * `{ Queue, revive }`, and every other kind reaches it as a handle or inside a queue item. Each
 * kind must revive (its module registers it on import, and package.json keeps those modules
 * under `sideEffects`), also minified; error classes keep their names when minified; and when a
 * bundler does drop a kind, `revive` says which.
 */
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  RLock,
  Semaphore,
} from 'sabsync';
import { makeApp, root, runWorker, type App } from './helpers/app.js';

// Only Queue and revive are imported: every probe below runs on a revived object.
const ENTRY = `
import { Queue, revive } from 'sabsync';
import { parentPort, workerData } from 'node:worker_threads';

const probe = {
  Lock: (x) => x.acquire(0),
  RLock: (x) => { const ok = x.acquire(0); x.release(); return ok; },
  Condition: (x) => { x.acquire(); x.notifyAll(); x.release(); return true; },
  Semaphore: (x) => x.value,
  BoundedSemaphore: (x) => { try { x.release(); return 'released'; } catch (e) { return e.name + ' ' + e.code; } },
  Event: (x) => x.isSet(),
  Barrier: (x) => x.parties,
  Queue: (x) => x.getNowait(),
  LifoQueue: (x) => x.getNowait(),
  PriorityQueue: (x) => x.getNowait(),
};
const report = {};
for (const [kind, handle] of Object.entries(workerData.handles)) {
  try { report[kind] = probe[kind](revive(handle)); } catch (e) { report[kind] = e.name + ': ' + e.message; }
}
const items = Queue.from(workerData.items);
try { const { barrier, event } = items.get(5000); report.item = [barrier.parties, event.isSet()]; } catch (e) { report.item = e.name + ': ' + e.message; }
try { items.getNowait(); } catch (e) { report.empty = e.name + ' ' + e.code; }
parentPort.postMessage(report);
`;

// Every error class the package exports, constructed in the bundle: its name must be its own.
const NAMES = `
import * as sabsync from 'sabsync';
import { parentPort } from 'node:worker_threads';
const names = {};
for (const [key, value] of Object.entries(sabsync)) {
  if (typeof value === 'function' && (value === Error || value.prototype instanceof Error)) names[key] = new value('ERR_TIMEOUT', 'm').name;
}
parentPort.postMessage(names);
`;

const EXPECTED = {
  Lock: true,
  RLock: true,
  Condition: true,
  Semaphore: 3,
  BoundedSemaphore: 'SabsyncError ERR_OVER_RELEASE',
  Event: true,
  Barrier: 2,
  Queue: 'first',
  LifoQueue: 'last',
  PriorityQueue: [1, 'low'],
  item: [3, true],
  empty: 'Empty ERR_EMPTY',
};

let app: App;

beforeAll(() => {
  app = makeApp('sabsync-bundle-');
  app.write('entry.mjs', ENTRY);
  app.write('names.mjs', NAMES);
});
afterAll(() => app?.remove());

async function bundle(dir: string, entry: string, minify: boolean): Promise<string> {
  const outfile = join(dir, 'out', `${entry.replace('.mjs', '')}${minify ? '.min' : ''}.mjs`);
  await build({ absWorkingDir: dir, entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', minify, outfile, logLevel: 'silent' });
  return outfile;
}

/** One primitive of each kind, prepared so that the probes in ENTRY have a known answer. */
function primitives(): { handles: Record<string, unknown>; items: unknown; keep: unknown[] } {
  const event = new Event();
  event.set();
  const q = new Queue<string>();
  q.put('first');
  const lifo = new LifoQueue<string>();
  lifo.put('first');
  lifo.put('last');
  const prio = new PriorityQueue<string>();
  prio.put([2, 'high']);
  prio.put([1, 'low']);
  const kinds = {
    Lock: new Lock(),
    RLock: new RLock(),
    Condition: new Condition(),
    Semaphore: new Semaphore(3),
    BoundedSemaphore: new BoundedSemaphore(1),
    Event: event,
    Barrier: new Barrier(2),
    Queue: q,
    LifoQueue: lifo,
    PriorityQueue: prio,
  };
  const items = new Queue();
  items.put({ barrier: new Barrier(3), event });
  const handles = Object.fromEntries(Object.entries(kinds).map(([k, x]) => [k, x.handle]));
  return { handles, items: items.handle, keep: [kinds, items] };
}

describe('an esbuild bundle that imports only { Queue, revive }', () => {
  for (const minify of [false, true]) {
    it(`revives every kind, from a handle and inside a queue item${minify ? ' (minified)' : ''}`, async () => {
      const file = await bundle(app.dir, 'entry.mjs', minify);
      const { handles, items } = primitives();
      const report = await runWorker<Record<string, unknown>>(file, { handles, items });
      expect(report).toEqual(EXPECTED);
    });
  }

  it('keeps the name of every exported error class when minified', async () => {
    const names = await runWorker<Record<string, string>>(await bundle(app.dir, 'names.mjs', true), undefined);
    expect(Object.keys(names).length).toBeGreaterThanOrEqual(9);
    for (const [key, name] of Object.entries(names)) expect(name, key).toBe(key);
  });

  it('names the kind that a bundler left out', async () => {
    // A bundler that ignores package.json "sideEffects" drops every module whose exports the
    // entry does not use: simulated with a copy of the package that claims to have none.
    const lax = makeApp('sabsync-lax-');
    try {
      const pkg = join(lax.dir, 'node_modules', 'sabsync', 'package.json');
      lax.write(relative(lax.dir, pkg), JSON.stringify({ ...JSON.parse(readFileSync(pkg, 'utf8')), sideEffects: false }));
      lax.write('entry.mjs', ENTRY);
      const { handles, items } = primitives();
      const report = await runWorker<Record<string, string>>(await bundle(lax.dir, 'entry.mjs', true), { handles, items });
      expect(report.Barrier).toMatch(/^TypeError: revive\(handle\): a Barrier handle, but Barrier is not loaded in this program/);
      expect(report.Event).toMatch(/Event is not loaded/);
      expect(report.Barrier).not.toMatch(/not a handle/);
    } finally {
      lax.remove();
    }
  });
});

describe('package.json "sideEffects"', () => {
  it('lists every module that registers a kind when imported', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { sideEffects: string[] };
    const dist = join(root, 'dist');
    const registering = (readdirSync(dist, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.js') && /^registerKind\(/m.test(readFileSync(join(dist, f), 'utf8')))
      .map((f) => `./dist/${f.split('\\').join('/')}`)
      .sort();
    expect(registering.length).toBeGreaterThanOrEqual(7);
    expect([...pkg.sideEffects].sort()).toEqual(registering);
  });
});
