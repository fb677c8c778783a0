// The CLI's progress watch: a progress line whenever it changes, asked of the workflow once a second until stopped.
import { sleepUnlessAborted, withFollowedSignal } from '../lib/run/abort.js';

/**
 * Prints a progress line whenever it changes (every second at most) until stopped. `stop` aborts a query in flight
 * and resolves once the loop is over: closing the connection under a query still retrying would crash the process
 * ("Channel has been shut down" from the client's retry timer) after the run had completed.
 */
export function watch(
  handle: { client: { withAbortSignal<R>(signal: AbortSignal, fn: () => Promise<R>): Promise<R> } },
  line: () => Promise<string>,
  say: (line: string) => void,
) {
  let last = '';
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        // A signal per query: Temporal's connection adds an abort listener per call and never removes it.
        const l = await withFollowedSignal(stopping.signal, (signal) => handle.client.withAbortSignal(signal, line));
        if (l !== last && !stopping.signal.aborted) say((last = l));
      } catch {
        /* the workflow may be between tasks or continuing as new; or the watch is stopping */
      }
      await sleepUnlessAborted(1000, stopping.signal);
    }
  })();
  return {
    stop: async (): Promise<void> => {
      stopping.abort();
      await loop;
    },
  };
}
