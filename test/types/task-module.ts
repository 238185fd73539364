// A task module as the typed-pool tests see it: `typeof import('./task-module.js')`.
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export async function greet(name: string, times = 1): Promise<string> {
  return `hello ${name}`.repeat(times);
}

export function none(): void {}

export const notAFunction = 42;
