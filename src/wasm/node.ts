/**
 * Node built-ins reached at run time through `process.getBuiltinModule` (Node ≥ 20.16) rather than imported:
 * every module of src/wasm then loads unchanged in a browser bundle, where this returns undefined and the
 * kernels run on the calling thread.
 */
export function nodeModule<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/** What the pool uses of node:worker_threads. */
export interface NodePort {
  postMessage(message: unknown): void;
}
export interface NodeWorker {
  unref(): void;
  terminate(): unknown;
}
export interface WorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown; transferList: unknown[] }) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
  receiveMessageOnPort(port: NodePort): { message: unknown } | undefined;
  isMainThread: boolean;
}
