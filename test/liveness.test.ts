/**
 * The liveness table (src/primitives/liveness.ts) stays small whatever the thread ids: Node's
 * are small and sequential (a bitmap), but a Web Worker's (and a Deno worker's) are random
 * below 2^30, where a bitmap indexed by id would grow to an eighth of the id for one death.
 * White-box: the table's byte length, through test/helpers/internals.ts.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DENSE_IDS, deaths, isDead, livenessTable, markDead } from './helpers/internals.js';

/** Random ids as a Web Worker draws them (primitives/thread.ts), all past the bitmap. */
function randomIds(n: number, taken: Set<number>): number[] {
  const ids: number[] = [];
  while (ids.length < n) {
    const id = 1 + Math.floor(Math.random() * (2 ** 30 - 2));
    if (id >= DENSE_IDS && !taken.has(id)) {
      taken.add(id);
      ids.push(id);
    }
  }
  return ids;
}

describe('the liveness table', () => {
  const taken = new Set<number>();

  it('marks a small (Node) id in its first 4 KiB, without growing', () => {
    const before = livenessTable().byteLength;
    const count = deaths();
    markDead(7);
    markDead(DENSE_IDS - 1);
    expect(livenessTable().byteLength).toBe(before);
    expect([isDead(7), isDead(DENSE_IDS - 1), isDead(8), isDead(DENSE_IDS - 2)]).toEqual([true, true, false, false]);
    expect(deaths() - count).toBe(2);
  });

  it('grows by kilobytes, not by the id, for the largest random id', () => {
    const id = 2 ** 30 - 2;
    taken.add(id);
    markDead(id);
    expect(isDead(id)).toBe(true);
    expect(isDead(id - 1)).toBe(false);
    expect(livenessTable().byteLength).toBeLessThanOrEqual(16 * 1024);
  });

  it('holds 20,000 random ids dead, and no other, in a table that grows with the count of deaths only', () => {
    const dead = randomIds(20_000, taken);
    for (const id of dead) markDead(id);
    expect(dead.filter((id) => !isDead(id))).toEqual([]);
    const alive = randomIds(20_000, taken);
    expect(alive.filter((id) => isDead(id))).toEqual([]);
    // Sets half full at most: 20,001 ids need ≈ 40,000 slots, in sets doubling from 256 slots.
    expect(livenessTable().byteLength).toBeLessThanOrEqual(1024 * 1024);
  });

  it('a thread that adopts the table sees the marks (bitmap and sets) and nothing else', async () => {
    const dead = randomIds(100, taken);
    for (const id of dead) markDead(id);
    const alive = randomIds(100, taken);
    const ids = [7, 9, ...dead, ...alive];
    const worker = new Worker(new URL('./fixtures/liveness.mjs', import.meta.url), { workerData: { table: livenessTable(), ids } });
    const seen = await new Promise<boolean[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the worker did not answer within 20 s')), 20_000);
      worker.once('message', (m: boolean[]) => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(seen).toEqual([true, false, ...dead.map(() => true), ...alive.map(() => false)]);
  });
});
