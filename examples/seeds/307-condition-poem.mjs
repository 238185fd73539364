// Lesson 3, 4.2: Condition, for "complex communication between threads". Two smart speakers,
// XiaoAi (小爱) and TianMao (天猫精灵), recite a classical poem line by line, taking turns: each
// holds the Condition (`with self.cond:`), says its line, notify()s the other and wait()s for
// it. The markers A–G print where each thread is. "The start order matters": XiaoAi must be
// waiting before TianMao's first notify(), or that notify wakes nobody and both wait for ever.
// (The lesson first tries it with a plain Lock, commented out: acquire/release keeps the two
// from speaking at once but cannot make them take turns. Waiting for the other's turn needs
// wait() and notify().)
//
// Python printed:
//   A, B, C, D, 天猫精灵 : 小爱同学, E, 小爱 : 在, F, G, 天猫精灵 : 我们来对古诗吧, 小爱 : 好啊,
//   then the poem's twelve lines alternating (天猫精灵 : 我住长江头, 小爱 : 君住长江尾, ...).
// Ours prints the same lines (with an English gloss). Python got the order right by luck of
// timing: xiaoai.start() ran XiaoAi into its wait() before TianMao started. JavaScript threads
// take tens of milliseconds to start and run in parallel, so start order proves nothing; ours
// makes the order certain instead: XiaoAi sets an Event while holding the Condition's lock,
// just before its first wait(), and TianMao waits for that Event before it starts — then takes
// the lock, which XiaoAi's wait() has released, so its first notify() cannot come too early.
// Every wait has a timeout, so a lost notify would end the lesson with an error, not a hang.
import { Condition, currentThread, Event, Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Condition: XiaoAi and TianMao recite a poem, taking turns';

const PATIENCE_MS = 5_000;

function say(line, gloss) {
  print(`${currentThread().name} : ${line}   (${gloss})`);
}

function waitTurn(cond) {
  if (!cond.wait(PATIENCE_MS)) throw new Error(`${currentThread().name} waited ${PATIENCE_MS} ms for its turn`);
}

export function xiaoAi(cond, waiting) {
  print('A');
  cond.acquire();
  try {
    print('B');
    waiting.set(); // TianMao may start: once it has the lock, this thread is in wait()
    waitTurn(cond);
    say('在', 'here');
    cond.notify();
    print('F');
    for (const [line, gloss] of [
      ['好啊', 'sure'],
      ['君住长江尾', 'you live where it ends,'],
      ['共饮长江水', 'yet we drink from the same river.'],
      ['此恨何时已', 'When will this longing end?'],
      ['定不负相思意', 'I would never fail this longing of ours.'],
    ]) {
      waitTurn(cond);
      say(line, gloss);
      cond.notify();
    }
  } finally {
    cond.release();
  }
}

export function tianMao(cond, waiting) {
  if (!waiting.wait(PATIENCE_MS)) throw new Error('XiaoAi never started');
  print('C');
  cond.acquire();
  try {
    print('D');
    say('小爱同学', 'Hey, XiaoAi');
    cond.notify();
    print('E');
    waitTurn(cond);
    print('G');
    for (const [line, gloss] of [
      ["我们来对古诗吧", "let's recite a poem, line for line"],
      ['我住长江头', 'I live where the great river begins,'],
      ['日日思君不见君', 'day after day I think of you and never see you,'],
      ['此水几时休', 'When will this water stop flowing?'],
      ['只愿君心似我心', 'If only your heart were like mine,'],
    ]) {
      say(line, gloss);
      cond.notify();
      waitTurn(cond);
    }
  } finally {
    cond.release();
  }
}

export async function main() {
  const cond = new Condition();
  const waiting = new Event();
  // The lesson's classes become two targets, with its thread names.
  const xiaoai = new Thread(new URL(import.meta.url), 'xiaoAi', { name: 'XiaoAi', args: [cond, waiting] });
  const tianmao = new Thread(new URL(import.meta.url), 'tianMao', { name: 'TianMao', args: [cond, waiting] });
  xiaoai.start();
  tianmao.start();
  await xiaoai.joinAsync();
  await tianmao.joinAsync();
  for (const t of [xiaoai, tianmao]) if (t.error) throw t.error;
}
