/**
 * README.md, doctest style: every code block runs as a user would copy it, in a fresh app with
 * the packed package installed.
 *
 * - A ```js or ```ts block is a program. Lines such as `// worker.mjs` alone on a line start a
 *   new file; the program is `main.*` (or its first file). It must exit by itself with code 0
 *   and print nothing to stderr, and each `// prints X` comment of its main file is a line of
 *   its output (in that order; other lines may come between).
 * - TypeScript programs are type-checked together (strict, with the project's typescript and
 *   @types/node), compiled for Node 20 and run as JavaScript.
 * - A ```ts synopsis block lists signatures: each `x.member` / `Class.member` it names must
 *   exist on the class (`const x = new Class(...)` in the block says which class x is).
 * - A ```sh block is a command for this repository, not run here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sabsync from 'sabsync';
import { makeApp, root, runNode, type App } from './helpers/app.js';

interface Block {
  line: number;
  lang: string;
  synopsis: boolean;
  code: string;
}

interface Program {
  line: number;
  ts: boolean;
  files: Map<string, string>;
  main: string;
  prints: string[];
}

function readBlocks(): Block[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks: Block[] = [];
  for (const m of text.matchAll(/^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length;
    blocks.push({ line, lang: m[1]!, synopsis: /\bsynopsis\b/.test(m[2]!), code: m[3]! });
  }
  return blocks;
}

const FILE_HEADER = /^\/\/ ([\w.-]+\.(?:mjs|js|ts|mts))$/;

function programOf(block: Block): Program {
  const ts = block.lang === 'ts';
  const files = new Map<string, string>();
  let name = ts ? 'main.ts' : 'main.mjs';
  let lines: string[] = [];
  const flush = () => {
    if (lines.some((l) => l.trim() !== '')) files.set(name, lines.join('\n') + '\n');
    lines = [];
  };
  for (const l of block.code.split('\n')) {
    const header = FILE_HEADER.exec(l);
    if (header === null) {
      lines.push(l);
      continue;
    }
    flush();
    name = header[1]!;
  }
  flush();
  const main = [...files.keys()].find((f) => /^main\./.test(f)) ?? [...files.keys()][0]!;
  const prints = [...files.get(main)!.matchAll(/\/\/ prints (.*)$/gm)].map((m) => m[1]!.trim());
  return { line: block.line, ts, files, main, prints };
}

const blocks = readBlocks();
const programs = blocks.filter((b) => (b.lang === 'js' || b.lang === 'ts') && !b.synopsis).map(programOf);
const synopses = blocks.filter((b) => b.synopsis);

let app: App;
let tscOutput = '';

beforeAll(() => {
  app = makeApp('sabsync-readme-');
  for (const p of programs) for (const [name, text] of p.files) app.write(join(`line-${p.line}`, name), text);
  app.write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        skipLibCheck: true,
      },
      include: ['line-*/*.ts'],
    }),
  );
  if (programs.some((p) => p.ts)) {
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app.dir], { encoding: 'utf8' });
    } catch (error) {
      tscOutput = String((error as { stdout?: string }).stdout ?? error);
    }
  }
}, 60_000);
afterAll(() => app?.remove());

describe('README.md', () => {
  it('has only programs, synopses and shell commands', () => {
    expect(programs.length).toBeGreaterThanOrEqual(5);
    for (const b of blocks) expect(['js', 'ts', 'sh'], `block at line ${b.line}`).toContain(b.lang);
    for (const b of synopses) expect(b.lang, `synopsis at line ${b.line}`).toBe('ts');
  });

  it('TypeScript blocks type-check (strict)', () => {
    expect(tscOutput).toBe('');
  });

  for (const p of programs) {
    it(`the ${p.ts ? 'TypeScript' : 'JavaScript'} block at line ${p.line} runs and prints what it says`, async () => {
      const main = p.ts ? p.main.replace(/\.ts$/, '.js') : p.main;
      const exit = await runNode([main], join(app.dir, `line-${p.line}`), 30_000);
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      const out = exit.stdout.split('\n');
      let at = 0;
      for (const expected of p.prints) {
        const found = out.indexOf(expected, at);
        expect(found, `"${expected}" in the output:\n${exit.stdout}`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    });
  }

  const exported = sabsync as unknown as Record<string, new (...args: unknown[]) => object>;
  const instances: Record<string, () => object> = {
    Lock: () => new sabsync.Lock(),
    RLock: () => new sabsync.RLock(),
    Condition: () => new sabsync.Condition(),
    Semaphore: () => new sabsync.Semaphore(3),
    BoundedSemaphore: () => new sabsync.BoundedSemaphore(3),
    Event: () => new sabsync.Event(),
    Barrier: () => new sabsync.Barrier(4),
    Thread: () => new sabsync.Thread(new URL('./fixtures/threads.mjs', import.meta.url)),
    ReaderWriterLock: () => new sabsync.ReaderWriterLock(),
    WaitGroup: () => new sabsync.WaitGroup(),
    Once: () => new sabsync.Once(),
    JoinableQueue: () => new sabsync.JoinableQueue(),
    SimpleQueue: () => new sabsync.SimpleQueue(),
  };
  for (const b of synopses) {
    it(`the synopsis at line ${b.line} names only members that exist`, () => {
      const classOf = new Map<string, string>();
      for (const m of b.code.matchAll(/const (\w+) = new (\w+)\(/g)) classOf.set(m[1]!, m[2]!);
      expect(classOf.size, 'a synopsis says which class each variable is').toBeGreaterThan(0);
      let checked = 0;
      for (const m of b.code.matchAll(/\b(\w+)\.(\w+)\b/g)) {
        const [, owner, member] = m as unknown as [string, string, string];
        const cls = classOf.get(owner);
        if (cls !== undefined) {
          expect(instances[cls], `a factory for ${cls}`).toBeDefined();
          expect(member in instances[cls]!(), `${owner}.${member} (${cls}) at line ${b.line}`).toBe(true);
          checked++;
        } else if (owner in exported) {
          expect(member in exported[owner]!, `${owner}.${member} at line ${b.line}`).toBe(true);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
