// The experiment's stages by name, each a small function of the stage context (workflows/stages/stage.ts).
import type { StageName } from '../../lib/run/run-state.js';
import type { Stage } from './stage.js';
import { taxonomy } from './taxonomy.js';
import { silver } from './silver.js';
import { bronze } from './bronze.js';
import { selfcheck } from './selfcheck.js';
import { review } from './review.js';
import { merge } from './merge.js';
import { train } from './train.js';
import { evaluate } from './evaluate.js';
import { report } from './report.js';

export const STAGE_RUNNERS: Record<StageName, Stage> = {
  taxonomy,
  silver,
  bronze,
  selfcheck,
  review,
  merge,
  train,
  evaluate,
  report,
};
