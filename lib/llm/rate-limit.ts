// Spaces a provider's requests to at most N per second in this process (a worker's share of a provider's limit).
import { throwIfStopped, type LlmAnswer, type LlmProvider, type LlmRequest, type StartOptions } from './types.js';

export class RateLimitedProvider implements LlmProvider {
  readonly kind: string;
  readonly model: string;
  private next = 0;

  constructor(
    private readonly inner: LlmProvider,
    private readonly requestsPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be > 0, got ${requestsPerSecond}`);
    this.kind = inner.kind;
    this.model = inner.model;
  }

  /** Reserves the next free slot (1/rps apart), waits for it, then calls the provider. */
  async complete(request: LlmRequest, signal?: AbortSignal, opts?: StartOptions): Promise<LlmAnswer> {
    throwIfStopped(opts);
    const t = this.now();
    const slot = Math.max(t, this.next);
    this.next = slot + 1000 / this.requestsPerSecond;
    if (slot > t) await new Promise((r) => setTimeout(r, slot - t));
    throwIfStopped(opts);
    return this.inner.complete(request, signal, opts);
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
