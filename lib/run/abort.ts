// Abort signals shared by many calls without piling listeners onto them (Node warns past ten: MaxListenersExceededWarning).

/**
 * A signal for one call that aborts with `outer`, and lets go of `outer` when released. For APIs that add an abort
 * listener to the signal they are given and never remove it (the openai client; Temporal's
 * `Connection.withAbortSignal`, one listener per gRPC call): handing them a long-lived signal leaks one listener per
 * call. However many calls follow `outer` at once (a page's 256 calls in flight), it carries one listener (onAbort).
 */
export function followSignal(outer?: AbortSignal): { signal?: AbortSignal; release(): void } {
  if (!outer) return { release: () => {} };
  const controller = new AbortController();
  if (outer.aborted) {
    controller.abort(outer.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const release = onAbort(outer, () => controller.abort(outer.reason));
  return { signal: controller.signal, release };
}

/** Runs `fn` with a signal that follows `outer` for the call only (see followSignal). */
export async function withFollowedSignal<R>(outer: AbortSignal, fn: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const call = followSignal(outer);
  try {
    return await fn(call.signal!);
  } finally {
    call.release();
  }
}

const shared = new WeakMap<AbortSignal, { fns: Set<() => void>; fire: () => void }>();

/**
 * Calls `fn` when `signal` aborts; returns the unsubscribe. However many subscribe at once (every call of a page
 * waiting for a slot), the signal carries one listener, removed when the last one unsubscribes or it fires.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let entry = shared.get(signal);
  if (!entry) {
    const fns = new Set<() => void>();
    const fire = () => {
      shared.delete(signal);
      for (const f of [...fns]) f();
    };
    signal.addEventListener('abort', fire, { once: true });
    shared.set(signal, (entry = { fns, fire }));
  }
  const mine = entry;
  mine.fns.add(fn);
  return () => {
    if (!mine.fns.delete(fn) || mine.fns.size > 0 || shared.get(signal) !== mine) return;
    shared.delete(signal);
    signal.removeEventListener('abort', mine.fire);
  };
}

/** Resolves after `ms`, or at once when `signal` aborts; either way the signal is left without a listener. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const unsubscribe = onAbort(signal, () => {
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
  });
}
