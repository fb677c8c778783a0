// What the activities are built from (dependency injection, as Temporal's activities-dependency-injection sample):
// the worker makes these once and hands them to createActivities, so tests can hand in their own.
import type { Experiment } from '../lib/config/experiment.js';
import type { LlmCache } from '../lib/llm/cache.js';
import type { LlmProvider } from '../lib/llm/types.js';

export interface ActivityDeps {
  /** The LLM provider for a run's settings (shared by this worker's pages: lib/llm/providers.ts providerFor). */
  providers: (llm: Experiment['llm']) => Promise<LlmProvider>;
  /** The answer cache every LLM page and batch round reads and writes. */
  cache: LlmCache;
  /** Sentences to unit vectors through the encoder `spec` (default MiniLM), calling `onProgress` between chunks. */
  encoder: (texts: string[], onProgress?: () => void, spec?: string) => Promise<Float32Array[]>;
  /** The worker's CLINSYNTH_HOME (caches, embeddings). */
  home: string;
}
