// Shared data: a Value's and a SharedArray's element type follows the typecode (bigint for
// q / Q), containers are typed by their values, handles attach only to their own kind.
import { Lock, RLock, SharedArray, SharedDict, SharedList, Value, revive, type ElementOf, type Typecode } from 'sabsync';
import { expectType, type Equal } from './expect.js';

export function shared(): void {
  const i = new Value('i', 1);
  expectType<Equal<typeof i.value, number>>();
  const q = new Value('q', 1n);
  expectType<Equal<typeof q.value, bigint>>();
  q.value = 5n;
  // @ts-expect-error a 'q' Value holds bigints
  q.value = 5;
  // @ts-expect-error an 'i' Value holds numbers
  new Value('i', 1n);
  // @ts-expect-error not a typecode
  new Value('x', 1);
  expectType<Equal<ReturnType<typeof i.getLock>, RLock | undefined>>();
  const attached = Value.from<'d'>(i.handle);
  expectType<Equal<typeof attached.value, number>>();
  // @ts-expect-error a Lock's handle is not a Value's
  Value.from(new Lock().handle);

  const d = new SharedArray('d', 10);
  expectType<Equal<(typeof d)[number], number>>();
  d[3] = 1.5;
  const n: number = d.length;
  const all: number[] = [...d];
  const Q = new SharedArray('Q', [1n, 2n]);
  expectType<Equal<(typeof Q)[0], bigint>>();
  // @ts-expect-error a 'Q' array holds bigints
  Q[0] = 1;
  // @ts-expect-error values of the typecode's type
  new SharedArray('i', [1n]);
  expectType<Equal<ReturnType<typeof d.getObj>, Float64Array>>();
  expectType<Equal<ElementOf<Typecode>, number | bigint>>();
  void n;
  void all;

  const dict = new SharedDict<number>({ bytes: 4096 });
  const got = dict.get('k');
  expectType<Equal<typeof got, number | undefined>>();
  const withDefault = dict.get('k', 0);
  expectType<Equal<typeof withDefault, number>>();
  const next = dict.update('k', (old) => (old ?? 0) + 1);
  expectType<Equal<typeof next, number>>();
  // @ts-expect-error keys are strings
  dict.set(1, 1);
  // @ts-expect-error values are numbers in this dict
  dict.set('k', 'one');
  for (const [k, v] of dict) {
    expectType<Equal<typeof k, string>>();
    expectType<Equal<typeof v, number>>();
  }
  {
    using _ = dict.hold(100);
  }

  const list = new SharedList<string>();
  list.append('a');
  expectType<Equal<ReturnType<typeof list.pop>, string>>();
  const items: string[] = [...list];
  void items;
  // @ts-expect-error a list of strings
  list.append(1);

  expectType<Equal<ReturnType<typeof revive<'SharedDict'>>, SharedDict>>();
  expectType<Equal<ReturnType<typeof revive<'Value'>>, Value>>();
  // @ts-expect-error a dict's handle is not a list's
  SharedList.from(dict.handle);
}
