/**
 * Typed tasks: `new Executor<typeof import('./tasks.js')>(url)` (or `Pool<...>`) makes every
 * method that names a task accept only the module's function exports, with their parameter
 * types, and return their (awaited) result types. Without the type argument the module is
 * `AnyModule` and every name, argument and result is as loose as before (`submit<R>(...)`).
 */

/** Any task module: what a pool without a module type argument accepts. */
export interface AnyModule {
  [name: string]: unknown;
}

type AnyFn = (...args: never[]) => unknown;

/** Whether `M` is a real module type (its keys are known), not `AnyModule`. */
export type IsTyped<M> = string extends keyof M ? false : true;

/**
 * The names a task may have: the function exports of `M`. None when untyped, so that the
 * typed overloads never match there and the loose ones (`submit<R>(fn: string, ...)`) do.
 */
export type TaskName<M> = IsTyped<M> extends true ? { [K in keyof M]-?: M[K] extends AnyFn ? K : never }[keyof M] & string : never;

/** The parameters of export `K` of `M` (`unknown[]` when untyped). */
export type TaskArgs<M, K> = IsTyped<M> extends true ? (K extends keyof M ? (M[K] extends (...args: infer A extends unknown[]) => unknown ? A : never) : never) : unknown[];

/** The awaited result of export `K` of `M` (`unknown` when untyped). */
export type TaskResult<M, K> = IsTyped<M> extends true ? (K extends keyof M ? (M[K] extends (...args: never[]) => infer R ? Awaited<R> : never) : never) : unknown;

/** A task name for the loose overloads: any string when untyped, nothing (so they never match) when typed. */
export type UntypedName<M> = IsTyped<M> extends true ? never : string;

/** The first parameter of export `K` of `M`: the item type of a `map` over it. */
export type TaskItem<M, K> = TaskArgs<M, K> extends [infer First, ...unknown[]] ? First : TaskArgs<M, K> extends (infer E)[] ? E : never;
