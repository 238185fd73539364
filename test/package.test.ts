/**
 * The package as a user installs it (the packed tarball in a fresh app): CommonJS `require`,
 * source maps that carry their sources, and the mistake of sending a primitive itself instead
 * of its handle, which must fail where it is made.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, Queue, RLock, Semaphore, revive } from 'sabsync';
import { makeApp, runNode, type App } from './helpers/app.js';

let app: App;

beforeAll(() => {
  app = makeApp('sabsync-package-');
});
afterAll(() => app?.remove());

describe('the packed package', () => {
  it('can be required from CommonJS (Node >= 20.19)', async () => {
    app.write('main.cjs', "const { Lock, Queue } = require('sabsync');\nconst lock = new Lock();\nconsole.log(lock.acquire(0), lock.locked(), typeof Queue);\n");
    const exit = await runNode(['main.cjs'], app.dir);
    expect(exit.stderr).not.toMatch(/No "exports" main defined/);
    expect(exit).toMatchObject({ code: 0, stdout: 'true true function\n' });
  });

  it('can be imported from an ES module, and a worker attaches by handle', async () => {
    app.write(
      'main.mjs',
      [
        "import { Worker } from 'node:worker_threads';",
        "import { Event } from 'sabsync';",
        'const ready = new Event();',
        "const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: ready.handle });",
        "console.log(await ready.waitAsync(10_000));",
        'await worker.terminate();',
      ].join('\n'),
    );
    app.write('worker.mjs', "import { workerData } from 'node:worker_threads';\nimport { Event } from 'sabsync';\nEvent.from(workerData).set();\n");
    expect(await runNode(['main.mjs'], app.dir)).toMatchObject({ code: 0, stdout: 'true\n' });
  });

  it('ships source maps that carry their sources', () => {
    const dist = join(app.dir, 'node_modules', 'sabsync', 'dist');
    const maps = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const f of maps) {
      const map = JSON.parse(readFileSync(join(dist, f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, f).toBe(map.sources.length);
      for (const [i, text] of map.sourcesContent!.entries()) {
        expect(typeof text === 'string' && text.length > 0, `${f}: ${map.sources[i]}`).toBe(true);
      }
    }
  });

  it('ships no internal declarations that need @types/node', () => {
    const dist = join(app.dir, 'node_modules', 'sabsync', 'dist');
    expect(existsSync(join(dist, 'index.d.ts'))).toBe(true);
    const pool = readFileSync(join(dist, 'pool', 'pool.d.ts'), 'utf8');
    expect(pool).not.toMatch(/from 'node:/);
  });
});

describe('sending a primitive itself instead of its handle', () => {
  const cases: [string, () => { handle: unknown }, RegExp][] = [
    ['Lock', () => new Lock(), /send lock\.handle/],
    ['RLock', () => new RLock(), /send rLock\.handle/],
    ['Condition', () => new Condition(), /send condition\.handle/],
    ['Semaphore', () => new Semaphore(2), /send semaphore\.handle/],
    ['Event', () => new Event(), /send event\.handle/],
    ['Barrier', () => new Barrier(2), /send barrier\.handle/],
    ['Queue', () => new Queue(), /send queue\.handle/],
    ['LifoQueue', () => new LifoQueue(), /send lifoQueue\.handle/],
  ];

  for (const [kind, make, message] of cases) {
    it(`${kind}: postMessage and structuredClone throw a TypeError that says what to send`, () => {
      const x = make();
      const { port1, port2 } = new MessageChannel();
      try {
        expect(() => port1.postMessage({ x })).toThrow(message);
        expect(() => structuredClone([x])).toThrow(message);
      } finally {
        port1.close();
        port2.close();
      }
      try {
        structuredClone(x);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        expect((error as { code?: string }).code).toBe('ERR_UNSERIALIZABLE');
      }
      // The handle itself crosses, and attaches to the same primitive.
      expect(revive(structuredClone(x.handle) as never)).toBeInstanceOf(x.constructor as new () => unknown);
    });
  }

  it('new Worker(url, { workerData: { lock } }) throws at once, in the sending thread', () => {
    const lock = new Lock();
    expect(() => new Worker('export {}', { eval: true, workerData: { lock } })).toThrow(/send lock\.handle/);
  });

  it('a primitive still travels live as a queue item, and prints and stringifies as before', () => {
    const lock = new Lock();
    const q = new Queue();
    q.put({ lock, list: [lock], map: new Map([['lock', lock]]) });
    const item = q.get(0) as { lock: Lock; list: Lock[]; map: Map<string, Lock> };
    expect(item.lock).toBeInstanceOf(Lock);
    expect(item.lock.acquire(0)).toBe(true);
    expect(lock.locked()).toBe(true);
    expect(item.list[0]!.locked()).toBe(true);
    expect(item.map.get('lock')!.locked()).toBe(true);
    expect(inspect(lock)).toBe('Lock {}');
    expect([new Semaphore(1), new BoundedSemaphore(1), new Semaphore(1)].map((x) => inspect(x))).toEqual(['Semaphore {}', 'BoundedSemaphore {}', 'Semaphore {}']);
    expect(inspect({ q })).toBe('{ q: Queue {} }');
    expect(JSON.stringify({ lock, q })).toBe('{"lock":{},"q":{}}');
  });
});
