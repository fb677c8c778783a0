// Caps one process's LLM calls in flight at llm.concurrency, handing a freed slot straight to the next waiting call.
import type { LlmAnswer, LlmProvider, LlmRequest, StartOptions } from './types.js';
import { onAbort } from '../run/abort.js';

export class ConcurrencyLimitedProvider implements LlmProvider {
  readonly kind: string;
  readonly model: string;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly inner: LlmProvider,
    readonly slots: number,
  ) {
    if (!(Number.isInteger(slots) && slots > 0)) throw new RangeError(`slots must be a positive integer, got ${slots}`);
    this.kind = inner.kind;
    this.model = inner.model;
  }

  /** Calls in flight now (for tests and progress). */
  get inFlight(): number {
    return this.running;
  }

  async complete(request: LlmRequest, signal?: AbortSignal, opts?: StartOptions): Promise<LlmAnswer> {
    const waited = await this.acquire(signal, opts?.startSignal);
    if (waited && opts?.startSignal) {
      // The slot may come from a failed call of the same page, whose failure aborts the page a few promise steps
      // later: let it land (one macrotask) before this call goes out, and pass the slot on if it did.
      await new Promise((r) => setImmediate(r));
      if (opts.startSignal.aborted) {
        this.release();
        throw opts.startSignal.reason ?? new Error('call not started: its page stopped');
      }
    }
    try {
      return await this.inner.complete(request, signal, opts);
    } finally {
      this.release();
    }
  }

  /**
   * Takes a slot, waiting in line for one (resolves true when it waited); `signal` or `startSignal` aborting takes
   * the call out of the line.
   */
  private acquire(signal?: AbortSignal, startSignal?: AbortSignal): Promise<boolean> {
    const stops = [signal, startSignal].filter((s): s is AbortSignal => s !== undefined);
    const stopped = stops.find((s) => s.aborted);
    if (stopped) return Promise.reject(stopped.reason ?? new Error('aborted before an LLM call slot was taken'));
    if (this.running < this.slots) {
      this.running++;
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve, reject) => {
      // Every waiting call of a page shares the page's signals: one listener each however many wait (lib/run/abort.ts).
      let unsubscribe: (() => void)[] = [];
      const grant = () => {
        for (const u of unsubscribe) u();
        resolve(true); // the releasing call passed its slot on: `running` is unchanged
      };
      const stop = () => {
        const i = this.waiting.indexOf(grant);
        if (i < 0) return; // already granted
        this.waiting.splice(i, 1);
        for (const u of unsubscribe) u();
        const reason = stops.find((s) => s.aborted)?.reason as unknown;
        reject(reason ?? new Error('aborted while waiting for an LLM call slot'));
      };
      unsubscribe = stops.map((s) => onAbort(s, stop));
      this.waiting.push(grant);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
