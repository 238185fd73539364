/**
 * The runtime seam's one door to Node's built-in modules. Nothing reachable from the package's
 * entry imports a `node:` module statically (a browser cannot load one); code that is better
 * with a built-in asks for it here, at run time, and gets `undefined` where the runtime has none.
 *
 * `process.getBuiltinModule` exists in Node >= 20.16, Deno 2 and Bun 1; a browser has no
 * `process`. The caller names the shape it relies on, since the built-in's own types are Node's.
 */

interface ProcessWithBuiltins {
  getBuiltinModule?(id: string): unknown;
}

/** The built-in module `id` (e.g. `'node:worker_threads'`), or undefined where there is none. */
export function builtin<T>(id: `node:${string}`): T | undefined {
  const proc = (globalThis as { process?: ProcessWithBuiltins }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}
