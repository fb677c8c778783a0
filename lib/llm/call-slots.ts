// Caps one process's LLM calls in flight at llm.concurrency, handing a freed slot straight to the next waiting call.
import type { LlmAnswer, LlmProvider, LlmRequest } from './types.js';

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

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    await this.acquire(signal);
    try {
      return await this.inner.complete(request, signal);
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < this.slots) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(); // the releasing call passed its slot on: `running` is unchanged
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason ?? new Error('aborted while waiting for an LLM call slot'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
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
