import type { FromWorker, ToWorker } from './protocol.js';

type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

/**
 * The page's side of the training worker: one request at a time; cancelling terminates the worker (the only way
 * to stop synchronous training at once) and starts a fresh one for the next request.
 */
export class Runner {
  private worker!: Worker;
  private nextId = 1;
  private current = 0;
  engine = '';

  constructor(
    private readonly onMessage: (m: FromWorker) => void,
    private readonly onReady: (engine: string, kernels: string) => void = () => {},
  ) {
    this.spawn();
  }

  private spawn(): void {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'paratransfer-training' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === 'ready') {
        this.engine = m.engine;
        this.onReady(m.engine, m.kernels === 'wasm-simd' ? 'WebAssembly SIMD kernels' : 'TypeScript kernels');
        return;
      }
      // Messages of a cancelled request may still be queued: drop them.
      if (m.id !== this.current) return;
      if (m.type === 'done' || m.type === 'alpha-done' || m.type === 'error') this.current = 0;
      this.onMessage(m);
    };
    this.worker.onerror = (e) => {
      const id = this.current;
      this.current = 0;
      if (id) this.onMessage({ type: 'error', id, message: e.message || 'the training worker failed' });
    };
  }

  get busy(): boolean {
    return this.current !== 0;
  }

  start(request: Request): number {
    if (this.busy) this.cancel();
    const id = this.nextId++;
    this.current = id;
    this.worker.postMessage({ ...request, id } as ToWorker);
    return id;
  }

  cancel(): void {
    if (!this.busy) return;
    this.current = 0;
    this.worker.terminate();
    this.spawn();
  }
}
