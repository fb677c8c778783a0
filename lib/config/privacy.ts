// Where sensitive corpus text may go: loopback, the embedded model, or hosts the experiment explicitly allows.
import type { Experiment } from './experiment.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Why this experiment may not run (sensitive notes to a non-allowed endpoint), or undefined when it may. */
export function sensitiveEndpointRefusal(e: Experiment): string | undefined {
  if (!e.corpus?.sensitive || !e.silver.enabled || e.llm.provider === 'local') return undefined;
  const host = new URL(e.llm.baseURL ?? 'http://invalid').hostname;
  if (isLoopbackHost(host)) return undefined;
  const allowed = e.llm.allowSensitive === true ? [host] : e.llm.allowSensitive === false ? [] : e.llm.allowSensitive;
  if (allowed.some((h) => h.toLowerCase() === host.toLowerCase())) return undefined;
  return (
    `corpus.sensitive is true but llm.baseURL sends note text to ${host}, which is not loopback and not listed in ` +
    `llm.allowSensitive: use the local provider, a loopback endpoint, or list the host (only if it is approved for this data)`
  );
}
