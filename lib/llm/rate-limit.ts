// Spaces a provider's requests to at most N per second in this process (a worker's share of a provider's limit).
import type { LlmAnswer, LlmProvider, LlmRequest } from './types.js';

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
  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    const t = this.now();
    const slot = Math.max(t, this.next);
    this.next = slot + 1000 / this.requestsPerSecond;
    if (slot > t) await new Promise((r) => setTimeout(r, slot - t));
    return this.inner.complete(request, signal);
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
