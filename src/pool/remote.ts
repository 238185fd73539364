/**
 * Errors crossing threads: a task's error travels as a plain description (structured clone
 * keeps only the built-in error classes, and drops `code`) and is rebuilt on the owning thread
 * with the remote name, message, stack and code. Also the one error for a task name the module
 * does not export, which either side may find.
 */
import { misuse, typeError, type SabsyncError } from '../primitives/errors.js';

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
  return { name: 'Error', message: `threw a non-error value: ${String(error)}` };
}

/** Most export names an unknown-export message lists. */
const LISTED_EXPORTS = 20;

/**
 * The error for a name that is not a function export of the task module: one message whether
 * the owner (which knows the exports once a worker is ready) or a worker finds it.
 */
export function noSuchExport(who: string, module: string, name: string, exports: readonly string[]): TypeError {
  const listed = exports.slice(0, LISTED_EXPORTS).join(', ');
  const more = exports.length > LISTED_EXPORTS ? ` and ${exports.length - LISTED_EXPORTS} more` : '';
  const has = exports.length === 0 ? 'it has none' : `its function exports: ${listed}${more}`;
  return typeError(`${who}: the task module ${module} has no function export named '${name}' (${has})`);
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

/**
 * The error for a task's arguments or result that can never fit its channel (`ERR_TOO_LARGE`),
 * naming the task and the limit; `cause` is the Queue's own error.
 */
export function tooLarge(who: string, what: 'arguments' | 'result', fn: string, bytes: number, cause: unknown): SabsyncError {
  const [verb, channel] = what === 'result' ? ['does', 'result'] : ['do', 'task'];
  return misuse(
    'ERR_TOO_LARGE',
    `${who}: the ${what} of task '${fn}' ${verb} not fit the ${channel} channel (${bytes} bytes encoded at most); ` +
      'pass large data in a SharedArrayBuffer, which crosses shared, not copied',
    { cause },
  );
}
