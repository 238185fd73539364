/**
 * Pipe / Connection: ping-pong across threads, the end of the stream (EOFError after the other
 * end closed and everything it sent was received), closed ends shared by every copy, poll,
 * one-way pipes, many messages exactly once and in order, bad inputs. Threads are sabsync
 * Threads (the ends cross as their arguments); every wait has a timeout.
 */
import { describe, expect, test } from 'vitest';
import { Connection, EOFError, Lock, Pipe, Queue, Thread, TimeoutError, revive, type Handle } from 'sabsync';
import { expectElapsed } from './helpers/workers.js';

const MODULE = new URL('./fixtures/threads.mjs', import.meta.url);
const JOIN_MS = 30_000;

function started(target: string, args: unknown[]): Thread {
  const t = new Thread(MODULE, target, { args });
  t.start();
  return t;
}

function joined(t: Thread): unknown {
  expect(t.join(JOIN_MS)).toBe(true);
  expect(t.error).toBeUndefined();
  return t.result;
}

/** Wait until a fixture set word 0 of `ctl` (it notifies). */
function heard(ctl: SharedArrayBuffer): void {
  expect(Atomics.wait(new Int32Array(ctl), 0, 0, JOIN_MS)).not.toBe('timed-out');
}

const codeOf = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return (e as { code?: unknown }).code;
  }
  return 'no error';
};

describe('Pipe: send and receive', () => {
  test('in one thread: values arrive in order, as copies; poll says whether one waits', () => {
    const [a, b] = Pipe();
    expect(b.poll()).toBe(false);
    const sent = { id: 1, tags: ['x'], when: new Date(5), big: 2n ** 70n };
    a.send(sent);
    a.send('two');
    expect(b.poll()).toBe(true);
    const got = b.recv();
    expect(got).toEqual(sent);
    expect(got).not.toBe(sent);
    expect(b.recv()).toBe('two');
    b.send(3);
    expect(a.recv(0)).toBe(3);
    expect([a.readable, a.writable, b.readable, b.writable]).toEqual([true, true, true, true]);
  });

  test('ping-pong with a Thread: 500 round trips', () => {
    const [a, b] = Pipe();
    const t = started('pong', [b, 500]);
    for (let i = 0; i < 500; i++) {
      a.send(i * 2);
      expect(a.recv(JOIN_MS)).toBe(i * 2 + 1);
    }
    expect(joined(t)).toBe(500);
  });

  test('async twins: sendAsync, recvAsync, pollAsync', async () => {
    const [a, b] = Pipe();
    const polled = b.pollAsync(JOIN_MS);
    await a.sendAsync({ n: 1 });
    expect(await polled).toBe(true);
    expect(await b.recvAsync(JOIN_MS)).toEqual({ n: 1 });
    expect(await b.pollAsync()).toBe(false);
  });

  test('primitives, pipe ends and shared buffers inside a message arrive live', () => {
    const [a, b] = Pipe();
    const [c, d] = Pipe();
    const lock = new Lock();
    const sab = new SharedArrayBuffer(8);
    a.send({ lock, end: d, sab });
    const got = b.recv(0) as { lock: Lock; end: Connection; sab: SharedArrayBuffer };
    expect(got.lock).toBeInstanceOf(Lock);
    expect(got.end).toBeInstanceOf(Connection);
    expect(got.lock.acquire(0)).toBe(true);
    expect(lock.locked()).toBe(true);
    lock.release();
    c.send('through the end');
    expect(got.end.recv(0)).toBe('through the end');
    new Int32Array(got.sab)[0] = 9;
    expect(new Int32Array(sab)[0]).toBe(9);
  });

  test('an end travels by handle, by revive, and as a Queue item; it stays the same end', () => {
    const [a, b] = Pipe();
    const viaFrom = Connection.from(b.handle);
    const viaRevive = revive(b.handle);
    const q = new Queue<Connection>();
    q.put(b);
    const viaQueue = q.get(0);
    a.send(1);
    a.send(2);
    a.send(3);
    expect([viaFrom.recv(0), viaRevive.recv(0), viaQueue.recv(0)]).toEqual([1, 2, 3]);
    expect(() => structuredClone(a)).toThrow(/a Connection cannot be sent itself/);
  });

  test('recv times out with TimeoutError after about its timeout, taking nothing', () => {
    const [a, b] = Pipe();
    const t0 = performance.now();
    expect(() => b.recv(80)).toThrow(TimeoutError);
    expectElapsed(performance.now() - t0, 80);
    expect(b.poll(50)).toBe(false);
    a.send('later');
    expect(b.recv(0)).toBe('later');
  });

  test('poll in a Thread wakes when a value is sent, sync and async', () => {
    for (const async of [false, true]) {
      const [a, b] = Pipe();
      const ctl = new SharedArrayBuffer(4);
      const t = started('pollFor', [b, ctl, JOIN_MS, async]);
      heard(ctl);
      a.send('wake');
      expect(joined(t)).toBe(true);
      expect(b.recv(0)).toBe('wake');
    }
  });
});

describe('Pipe: closing and the end of the stream', () => {
  test('after close: the other end receives what was sent, then EOFError, for good', () => {
    const [a, b] = Pipe();
    a.send(1);
    a.send(2);
    a.close();
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(false);
    expect(b.poll()).toBe(true);
    expect(b.recv(0)).toBe(1);
    expect(b.recv(0)).toBe(2);
    expect(b.poll()).toBe(true); // the end of the stream is something to receive
    expect(() => b.recv(0)).toThrow(EOFError);
    expect(codeOf(() => b.recv())).toBe('ERR_EOF');
    a.close(); // twice: nothing
  });

  test('a closed end throws ERR_CLOSED; sending to a closed end throws ERR_BROKEN_PIPE', async () => {
    const [a, b] = Pipe();
    b.send('unread');
    a.close();
    expect(codeOf(() => a.send(1))).toBe('ERR_CLOSED');
    expect(codeOf(() => a.recv(0))).toBe('ERR_CLOSED');
    expect(codeOf(() => a.poll())).toBe('ERR_CLOSED');
    await expect(a.recvAsync(0)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(a.sendAsync(1)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(codeOf(() => b.send(1))).toBe('ERR_BROKEN_PIPE');
    await expect(b.sendAsync(1)).rejects.toMatchObject({ code: 'ERR_BROKEN_PIPE' });
    await expect(b.recvAsync(0)).rejects.toBeInstanceOf(EOFError);
  });

  test("an end's state is shared by all its copies: a Thread closes its copy, this thread's is closed", () => {
    const [a, b] = Pipe();
    const t = started('closeEnd', [b]);
    expect(joined(t)).toBe(true);
    expect(b.closed).toBe(true);
    expect(Connection.from(b.handle).closed).toBe(true);
    expect(codeOf(() => b.recv(0))).toBe('ERR_CLOSED');
    expect(codeOf(() => a.send(0))).toBe('ERR_BROKEN_PIPE');
  });

  test('a recv blocked in a Thread ends with EOFError when the other end closes', () => {
    const [a, b] = Pipe();
    const ctl = new SharedArrayBuffer(4);
    const t = started('recvOne', [b, ctl]);
    heard(ctl);
    a.close();
    expect(joined(t)).toBe('ERR_EOF');
  });

  test('a recv blocked in a Thread ends with ERR_CLOSED when its own end is closed here', () => {
    const [, b] = Pipe();
    const ctl = new SharedArrayBuffer(4);
    const t = started('recvOne', [b, ctl]);
    heard(ctl);
    b.close();
    expect(joined(t)).toBe('ERR_CLOSED');
  });
});

describe('one-way pipes', () => {
  test('Pipe(false): the first end only receives, the second only sends (ERR_ONE_WAY otherwise)', async () => {
    const [r, w] = Pipe(false);
    expect([r.readable, r.writable, w.readable, w.writable]).toEqual([true, false, false, true]);
    expect(codeOf(() => r.send(1))).toBe('ERR_ONE_WAY');
    expect(codeOf(() => w.recv(0))).toBe('ERR_ONE_WAY');
    expect(codeOf(() => w.poll())).toBe('ERR_ONE_WAY');
    await expect(r.sendAsync(1)).rejects.toMatchObject({ code: 'ERR_ONE_WAY' });
    w.send('one way');
    expect(r.recv(0)).toBe('one way');
    w.close();
    expect(() => r.recv(0)).toThrow(EOFError);
  });

  test('the receiving end closed: the sender gets ERR_BROKEN_PIPE', () => {
    const [r, w] = Pipe(false);
    r.close();
    expect(codeOf(() => w.send(1))).toBe('ERR_BROKEN_PIPE');
  });
});

describe('many messages, exactly once, in order', () => {
  test('100k numbers from a Thread through a one-way pipe, then EOF', () => {
    const N = 100_000;
    const [r, w] = Pipe(false, { bytes: 64 * 1024 });
    const t = started('sendMany', [w, N]);
    let next = 0;
    for (;;) {
      let v: unknown;
      try {
        v = r.recv(JOIN_MS);
      } catch (e) {
        expect(e).toBeInstanceOf(EOFError);
        break;
      }
      if (v !== next) throw new Error(`message ${next}: got ${String(v)}`);
      next++;
    }
    expect(next).toBe(N);
    expect(joined(t)).toBe(N);
  });

  test('3 Threads send 10k each on copies of one end: every message once, each sender in order', () => {
    const N = 10_000;
    const [r, w] = Pipe(false, { bytes: 16 * 1024 });
    const threads = [0, 1, 2].map((tag) => started('sendTagged', [w, tag, N]));
    const next = [0, 0, 0];
    for (let k = 0; k < 3 * N; k++) {
      const [tag, i] = r.recv(JOIN_MS) as [number, number];
      if (i !== next[tag]) throw new Error(`sender ${tag}: expected ${next[tag]}, got ${i}`);
      next[tag]!++;
    }
    expect(next).toEqual([N, N, N]);
    for (const t of threads) expect(joined(t)).toBe(N);
    expect(r.poll()).toBe(false);
  });

  test('the order check fails on a stream that skips or repeats (the harness can fail)', () => {
    const [a, b] = Pipe();
    for (const v of [0, 1, 1, 3]) a.send(v);
    a.close();
    const got: unknown[] = [];
    expect(() => {
      for (let next = 0; ; next++) {
        const v = b.recv(0);
        got.push(v);
        if (v !== next) throw new Error(`message ${next}: got ${String(v)}`);
      }
    }).toThrow('message 2: got 1');
  });
});

describe('placement', () => {
  test('Pipe(duplex, { buffer, byteOffset }) lives in the given memory, within Connection.byteLength', () => {
    for (const duplex of [true, false]) {
      const size = Connection.byteLength(duplex, { bytes: 4096 });
      expect(size).toBeGreaterThan(2 * 4096 * (duplex ? 1 : 0.5));
      const buffer = new SharedArrayBuffer(64 + size + 64);
      new Uint8Array(buffer).fill(0xee);
      const [a, b] = Pipe(duplex, { bytes: 4096, buffer, byteOffset: 64 });
      expect(a.handle.buffer).toBe(buffer);
      b.send({ hello: duplex });
      expect(a.recv(0)).toEqual({ hello: duplex });
      const bytes = new Uint8Array(buffer);
      expect(bytes.subarray(0, 64).every((x) => x === 0xee)).toBe(true);
      expect(bytes.subarray(64 + size).every((x) => x === 0xee)).toBe(true);
    }
    expect(() => Pipe(true, { buffer: new SharedArrayBuffer(64), byteOffset: 0 })).toThrow(RangeError);
    expect(() => Pipe(true, { buffer: new SharedArrayBuffer(Connection.byteLength() + 8), byteOffset: 4 })).toThrow(RangeError);
  });
});

describe('bad inputs: an error with nothing changed', () => {
  test('Pipe arguments', () => {
    expect(() => Pipe('yes' as unknown as boolean)).toThrow(TypeError);
    expect(() => Pipe(true, null as unknown as object)).toThrow(TypeError);
    expect(() => Pipe(true, { bytes: 0 })).toThrow(RangeError);
    expect(() => Pipe(true, { bytes: 1.5 })).toThrow(RangeError);
    expect(() => Pipe(true, { bytes: '1' as unknown as number })).toThrow(TypeError);
  });

  test('a value that cannot cross, or is too large: nothing is sent', () => {
    const [a, b] = Pipe(true, { bytes: 1024 });
    expect(codeOf(() => a.send(() => 1))).toBe('ERR_UNSERIALIZABLE');
    expect(codeOf(() => a.send('x'.repeat(4096)))).toBe('ERR_TOO_LARGE');
    expect(b.poll()).toBe(false);
    a.send('ok');
    expect(b.recv(0)).toBe('ok');
  });

  test('bad timeouts', async () => {
    const [a, b] = Pipe();
    a.send(1);
    expect(() => b.recv(-1)).toThrow(RangeError);
    expect(() => b.poll(Number.NaN)).toThrow(RangeError);
    expect(() => b.poll('1' as unknown as number)).toThrow(TypeError);
    expect(() => a.send(1, -5)).toThrow(RangeError);
    await expect(b.recvAsync(-1)).rejects.toThrow(RangeError);
    expect(b.recv(0)).toBe(1);
  });

  test('new Connection() and handles of another kind are refused', () => {
    expect(() => new (Connection as unknown as new () => Connection)()).toThrow(TypeError);
    expect(() => Connection.from(new Lock().handle as unknown as Handle<'Connection'>)).toThrow(TypeError);
    const [a] = Pipe();
    expect(() => Connection.from({ ...a.handle, end: 2 } as Handle<'Connection'>)).toThrow(TypeError);
  });
});
