/**
 * Kernel calls as data. A call is an array [kernel index, ...arguments] (an `Op`), a program is a list of
 * them: plain numbers, so the same program runs on any table of kernels with the same signatures (the
 * WebAssembly exports, their plain-loop references) and can be posted to helper threads.
 */
export type Op = number[];

/** A kernel as the tables hold it; the typed signatures live in each kernel set's interface. */
export type KernelFn = (...args: number[]) => unknown;

/** The call array of kernel K of a set whose exports are typed by T: its index, then its arguments in order. */
export type CallOf<T, K extends keyof T> = T[K] extends (...args: infer P) => unknown ? [index: number, ...args: P] : never;

/** Each kernel's index in a call table ordered like `names`. */
export function indices<N extends string>(names: readonly N[]): Record<N, number> {
  return Object.fromEntries(names.map((n, i) => [n, i])) as Record<N, number>;
}

/** Run one call; returns the kernel's result (e.g. a count). */
export function call(table: readonly KernelFn[], o: Op): unknown {
  const f = table[o[0]];
  // Fixed arities avoid a spread per call (programs are long lists of small calls).
  switch (o.length) {
    case 4:
      return f(o[1], o[2], o[3]);
    case 5:
      return f(o[1], o[2], o[3], o[4]);
    case 6:
      return f(o[1], o[2], o[3], o[4], o[5]);
    case 7:
      return f(o[1], o[2], o[3], o[4], o[5], o[6]);
    case 8:
      return f(o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
    case 9:
      return f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8]);
    case 11:
      return f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10]);
    case 12:
      return f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11]);
    case 13:
      return f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12]);
    case 14:
      return f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12], o[13]);
    default:
      return f(...o.slice(1));
  }
}

/** Run a program in order. */
export function runOps(table: readonly KernelFn[], ops: readonly Op[]): void {
  for (let i = 0; i < ops.length; i++) call(table, ops[i]);
}
