// The worker's activities, built from their dependencies: CPU activities (main queue) and LLM activities (llm queue).
import { sharedEmbed } from '../lib/model/embeddings.js';
import type { ActivityDeps } from './deps.js';
import { createCpuActivities } from './run.js';
import { createLlmActivities } from './llm.js';

export type { ActivityDeps } from './deps.js';
export type { CpuActivities } from './run.js';
export type { LlmActivities } from './llm.js';

/** The process-wide encoder (one per spec, its embedding store under CLINSYNTH_HOME): lib/model/embeddings.ts. */
export const sharedEncoder: ActivityDeps['encoder'] = sharedEmbed;

export function createActivities(deps: ActivityDeps) {
  return { cpu: createCpuActivities(deps), llm: createLlmActivities(deps) };
}
