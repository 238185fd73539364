/**
 * The seed lessons (examples/seeds/): each runs in a child process, as `npm run demo -- <name>`
 * runs it, must exit by itself with code 0, print nothing that says a thread failed, and print
 * its key lines — what the lesson's Python printed, as the lesson file's header says.
 *
 * Key lines are checked for presence (and a count, where the lesson prints a line N times);
 * `ordered` lists lines whose order the lesson's own synchronisation fixes (a Condition's turns,
 * imap's argument order, prints before the join that waits for them), never an order that only
 * timing decides. A lesson that uses a sabsync name this build does not export yet is skipped,
 * with the names it lacks in the test title.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as sabsync from 'sabsync';
import { runNode } from './helpers/node-child.js';

const DEMO = new URL('../examples/demo.mjs', import.meta.url);
const SEEDS = new URL('../examples/seeds/', import.meta.url);
/** A lesson that runs longer than this has hung (the slowest take a few seconds on a busy machine). */
const CHILD_MS = 30_000;

type Line = string | RegExp;
interface Expect {
  /** Lines that must appear: a line, or [line, how many times]. */
  lines?: (Line | [Line, number])[];
  /** Lines that must appear in this order (others may come between). */
  ordered?: Line[];
}

const POEM: Line[] = [
  'A', 'B', 'C', 'D', /^TianMao : 小爱同学/, 'E', /^XiaoAi : 在/, 'F', 'G',
  /^TianMao : 我们来对古诗吧/, /^XiaoAi : 好啊/, /^TianMao : 我住长江头/, /^XiaoAi : 君住长江尾/,
  /^TianMao : 日日思君不见君/, /^XiaoAi : 共饮长江水/, /^TianMao : 此水几时休/, /^XiaoAi : 此恨何时已/,
  /^TianMao : 只愿君心似我心/, /^XiaoAi : 定不负相思意/,
];

const KEY_LINES: Record<string, Expect> = {
  'thread-per-task': {
    lines: ['0', '4', '8', '12', '16', '20', '24', '28', '32', '36', '{0: 0, 1: 1, 2: 4, 3: 9, 4: 16, 5: 25, 6: 36, 7: 49, 8: 64, 9: 81}'],
  },
  'task-queue-threads': { lines: [/^\{0: 0, 1: 1, 2: 4, .* 19: 361\}$/, '20 of 20 tasks done'] },
  'pool-apply': {
    ordered: ['First', 'Second', 'Third'],
    lines: ['apply_async results: a b c', 'map: 1 4 9 16', 'map_async: 25 36 49', 'starmap: 3 7', 'starmap_async: 11 15'],
  },
  'executor-callbacks': { lines: [[/ running\.\.\.$/, 4], /^time: \d+\.\d\d$/] },
  'callbacks-on-main': {
    lines: [[/ running\.\.\.$/, 8], /^time: \d+\.\d\d +\(callbacks on the main thread/, /^time: \d+\.\d\d +\(each worker parses/],
  },
  'thread-start-join': { lines: ['crunch-1 returned 59999997', 'crunch-2 returned 59999997', /^two threads at once: \d+ ms/] },
  'threadpool-requests': {
    lines: ['callback: work(1) = 1', 'callback: work(2) = 4', 'callback: work(3) = 9', 'callback: work(4) = 16'],
    ordered: [/^callback: /, 'all requests done'],
  },
  'process-with': {
    lines: ['in the process: plain[0] = 99, shared[0] = 99', /^in the main thread: plain\[0\] = 1 .*shared\[0\] = 99/],
  },
  'pool-initializer': {
    lines: ['apply: hello world', 'apply_async: hello again', 'map: ["hello 1","hello 2","hello 3"]', 'map_async: ["hello 4","hello 5"]', 'map of tuples: [6,15]', 'starmap: [6,15]'],
  },
  'pool-internals': {
    lines: [/worker exiting after 3 tasks$/, /^ *handler: PoolWorker-\d+ exited, started PoolWorker-\d+$/, 'squared: 0, squared: 1, squared: 4, squared: 9, squared: 16, squared: 25, squared: 36, squared: 49'],
  },
  'gil-race': { ordered: [/^-?\d+$/, '0   (with Atomics.add / Atomics.sub)'] },
  'thread-target': {
    lines: ['get detail html started', 'get detail url started', 'get detail html end', 'get detail url end', /^last time: \d+\.\d\d$/],
  },
  'thread-subclass': {
    lines: [/^get detail html started +\(get_detail_html\)$/, /^get detail url end +\(get_detail_url\)$/, /^last time: \d+\.\d\d$/],
  },
  'shared-list-lock': {
    lines: ['get detail url started', 'get detail url end', ['get detail html started', 20], ['get detail html end', 20], /^last time: /],
  },
  'queue-crawler': { ordered: [/\(ERR_TASK_DONE\)/, 'get detail url started', /^last time: /], lines: [['get detail html end', 20]] },
  'rlock-counter': {
    ordered: ['0', 'RLock acquired twice, released once: locked() = true', 'released twice: locked() = false', 'Lock already held by this thread, acquire(0): false'],
    lines: [/^[AB]: gave up waiting for its second lock/],
  },
  'condition-poem': { ordered: POEM },
  // At most 3: the Semaphore's limit (exactly 3 needs spiders to start faster than they fetch).
  'semaphore-spiders': { lines: [['got html text success', 20], /^spiders fetching at the same time, at most: [123] \(the Semaphore allows 3\)$/] },
  'future-done-cancel': { ordered: ['False', 'False', 'True', '3'], lines: ['get page 2 success', 'get page 3 success'] },
  'as-completed-pages': { lines: ['get page 2 success', 'get 2 page', 'get page 3 success', 'get 3 page', 'get page 4 success', 'get 4 page'] },
  'executor-map': { ordered: ['get 3 page', 'get 2 page', 'get 4 page'] },
  'wait-first-completed': { ordered: [/^get page \d success$/, 'main'], lines: [['main', 1], [/^get page \d success$/, 3]] },
  'executor-internals': {
    lines: [/^get page 2 success +\(MiniExecutor_[01]\)$/, 'get 2 page', 'get 3 page', 'get 4 page', 'the future was rejected: raised in a worker'],
  },
  'fib-cpu-bound': { lines: [['exe result: 5702887', 2], /^last time is: .*\(1 worker\)$/, /^last time is: .*\(3 workers\)$/, /^speed-up with three workers/] },
  'sleep-io-bound': { lines: [/^last time is: \d+\.\d\d +\(Executor, 3 workers\)$/, /^last time is: \d+\.\d\d +\(one thread, thirty timers\)$/] },
  fork: { lines: [['bobby', 2], /^I am the parent: \d+; counter here = 42$/, /^child \d+, parent \d+; counter here = 0 /] },
  'process-pid': { ordered: ['None', /^\d+$/, 'sub_progress success', 'main progress end'] },
  'pool-apply-async': { ordered: ['sub_progress success', '3'] },
  imap: {
    ordered: ['imap:', '1 sleep success', '5 sleep success', '3 sleep success', 'imap_unordered:'],
    lines: [['1 sleep success', 2], ['3 sleep success', 2], ['5 sleep success', 2], ['sub_progress success', 6]],
  },
  'process-queue': { lines: [['a', 1]] },
  'manager-queue-pool': { lines: [['a', 1]] },
  pipe: { ordered: ['bobby', /^then EOFError \(ERR_EOF\)/] },
  'manager-dict': { lines: [/^\{'bobby([12])': 2[23], 'bobby(?!\1)[12]': 2[23]\}$/] },
  'process-subclass': { lines: [0, 1, 2, 3, 4].map((i) => new RegExp(`^Worker: ${i}\\. ident: \\d+$`)) },
  'pool-apply-async-loop': { lines: [0, 1, 2, 3, 4].map((i) => new RegExp(`^Worker: ${i} `)) },
  'manager-queue-write-read': { lines: ['Put 0 to queue...', 'Put 9 to queue...', 'Get 0 from queue.'], ordered: ['Get 9 from queue.', 'all data written and read'] },
  'thread-name-logging': { ordered: ['(thread name) print thread name', '(MainThread) and this is the main thread: MainThread'] },
  'event-signal': { ordered: ['something', 'something', 'something', 'got SIGINT: event.set()', 'the thread has stopped'] },
  'queue-task-done': { ordered: ['qsize 0, empty true, full false', 'qsize 4, empty false, full false', 'division by zero', 'join() returned: every item done'] },
  'executor-map-with': { lines: ['[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]'] },
};

const lessons = readdirSync(SEEDS)
  .filter((file) => /^\d+-.+\.mjs$/.test(file))
  .sort()
  .map((file) => ({ file, name: file.replace(/^\d+-/, '').replace(/\.mjs$/, '') }));

/** The names a lesson imports from 'sabsync' that this build does not export. */
function missingNames(file: string): string[] {
  const source = readFileSync(new URL(file, SEEDS), 'utf8');
  const names = [...source.matchAll(/import \{([^}]*)\} from 'sabsync'/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  return names.filter((n) => !(n in sabsync));
}

function matches(line: string, want: Line): boolean {
  return typeof want === 'string' ? line === want : want.test(line);
}

it('every seed lesson has key lines here, and every key-line entry has its lesson', () => {
  expect(lessons.map((l) => l.name).sort()).toEqual(Object.keys(KEY_LINES).sort());
});

it('no seed lesson shares its name with a demo (npm run demo -- <name> would run both)', () => {
  const demos = readdirSync(new URL('../examples/demos/', import.meta.url)).map((file) => file.replace(/^\d+-/, '').replace(/\.mjs$/, ''));
  expect(lessons.map((l) => l.name).filter((name) => demos.includes(name) || name === 'seeds')).toEqual([]);
});

describe('seed lessons', () => {
  for (const { file, name } of lessons) {
    const missing = missingNames(file);
    const title = missing.length > 0 ? `${name} (needs ${missing.join(', ')}: not in this build)` : name;
    it.skipIf(missing.length > 0)(title, async () => {
      const run = await runNode(DEMO, [name], { timeout: CHILD_MS });
      const report = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
      expect(run.timedOut, `${name} did not end within ${CHILD_MS / 1000} s\n${report}`).toBe(false);
      expect(run.code, report).toBe(0);
      expect(run.stderr, report).not.toMatch(/Exception in thread|failed/);
      // The lesson's own output: the lines between the runner's header and its closing timing.
      const lines = run.stdout.split('\n').map((l) => l.trimEnd());
      const { lines: wanted = [], ordered = [] } = KEY_LINES[name]!;
      for (const entry of wanted) {
        const [want, times] = Array.isArray(entry) ? entry : [entry, undefined];
        const count = lines.filter((l) => matches(l, want)).length;
        if (times === undefined) expect(count, `a line ${String(want)}\n${report}`).toBeGreaterThan(0);
        else expect(count, `${times} lines ${String(want)}\n${report}`).toBe(times);
      }
      let at = 0;
      for (const want of ordered) {
        const found = lines.findIndex((l, i) => i >= at && matches(l, want));
        expect(found, `a line ${String(want)} after line ${at}, in order\n${report}`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    }, CHILD_MS + 10_000);
  }
});
