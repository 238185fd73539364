/**
 * Errors crossing threads: a task's error travels as a plain description (structured clone
 * keeps only the built-in error classes, and drops `code`) and is rebuilt on the owning thread
 * with the remote name, message, stack and code.
 */

/** What crosses the result channel for a task that threw. */
export interface ErrorDescription {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: unknown;
}

/** Describe a thrown value for the trip back to the owning thread. */
export function describeError(error: unknown): ErrorDescription {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as Partial<Error> & { code?: unknown };
    const code = typeof e.code === 'string' || typeof e.code === 'number' ? e.code : undefined;
    return { name: String(e.name ?? 'Error'), message: String(e.message), stack: typeof e.stack === 'string' ? e.stack : undefined, code };
  }
  return { name: 'Error', message: `a task threw a non-error value: ${String(error)}` };
}

const builtins: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuild a described error: the built-in class of that name if there is one, else `Error`. */
export function rebuildError(d: ErrorDescription): Error {
  const e = new (builtins[d.name] ?? Error)(d.message);
  if (e.name !== d.name) Object.defineProperty(e, 'name', { value: d.name, writable: true, configurable: true });
  if (d.stack !== undefined) e.stack = d.stack;
  if (d.code !== undefined) (e as Error & { code?: unknown }).code = d.code;
  return e;
}
