// P3: prompt tokens per silver sentence, batched (8, 16) vs one sentence per call, via silverRequest on 200 sentences.
import { loadTaxonomy } from '../lib/config/taxonomy.js';
import { silverRequest } from '../lib/generate/prompts.js';
import { PACKAGED_MODEL } from '../lib/llm/local-provider.js';
import {
  DEV_GOLD,
  TAXONOMY,
  mainIfDirect,
  readJsonlTexts,
  result,
  round,
  syntheticSentence,
  type BenchResult,
} from './common.js';
import { existsSync } from 'node:fs';

const N = 200;
const OPTS = { maxTokens: 1024, temperature: 0, seed: 0 };

/** The fake server's estimate (and a common rule of thumb): ceil(characters of all message contents / 4). */
const charEstimate = (chars: number) => Math.ceil(chars / 4);

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const taxonomy = loadTaxonomy(TAXONOMY);
  const gold = readJsonlTexts(DEV_GOLD);
  let texts: string[];
  if (gold && gold.length >= N) {
    texts = gold.slice(0, N);
  } else {
    notes.push(
      gold
        ? `dev gold has only ${gold.length} sentences: using synthetic ones`
        : `no dev gold at ${DEV_GOLD}: using synthetic sentences`,
    );
    texts = Array.from({ length: N }, (_, i) => syntheticSentence(i, i % 3 !== 0));
  }
  const items = texts.map((text, i) => ({ id: `s-${i}`, text }));

  // The real tokenizer of the embedded model (SmolLM2, GPT-2-style BPE), vocabulary only: cheap to load.
  let tokenize: ((s: string) => number) | undefined;
  let dispose: (() => Promise<void>) | undefined;
  if (existsSync(PACKAGED_MODEL)) {
    try {
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
      const model = await llama.loadModel({ modelPath: PACKAGED_MODEL, vocabOnly: true });
      tokenize = (s) => model.tokenize(s).length;
      dispose = async () => {
        await model.dispose();
        await llama.dispose();
      };
    } catch (e) {
      notes.push(`real tokenizer unavailable (${(e as Error).message.split('\n')[0]}): chars/4 only`);
    }
  } else notes.push('embedded model not installed: chars/4 only');

  const measure = (batch: number) => {
    let chars = 0;
    let est = 0;
    let real = 0;
    let schemaChars = 0;
    let calls = 0;
    for (let i = 0; i < items.length; i += batch) {
      const req = silverRequest(taxonomy, items.slice(i, i + batch), OPTS);
      const c = req.messages.reduce((n, m) => n + m.content.length, 0);
      chars += c;
      est += charEstimate(c);
      schemaChars += JSON.stringify(req.schema).length;
      if (tokenize) real += req.messages.reduce((n, m) => n + tokenize!(m.content), 0);
      calls++;
    }
    return {
      batch,
      calls,
      estTokensPerSentence: est / items.length,
      realTokensPerSentence: tokenize ? real / items.length : null,
      schemaCharsPerSentence: schemaChars / items.length,
      charsPerSentence: chars / items.length,
    };
  };
  const single = measure(1);
  const b8 = measure(8);
  const b16 = measure(16);
  await dispose?.();
  const key = tokenize ? 'realTokensPerSentence' : 'estTokensPerSentence';
  const unit = tokenize ? 'SmolLM2 tokens/sentence' : 'est. tokens/sentence (chars/4)';
  const fmt = (m: ReturnType<typeof measure>) => ({
    ...m,
    estTokensPerSentence: round(m.estTokensPerSentence, 1),
    realTokensPerSentence: m.realTokensPerSentence === null ? null : round(m.realTokensPerSentence, 1),
    schemaCharsPerSentence: round(m.schemaCharsPerSentence, 1),
    charsPerSentence: round(m.charsPerSentence, 1),
  });
  return result({
    id: 'p3',
    title: 'prompt tokens per silver sentence (batch 8 vs 1)',
    figure: { value: round(b8[key]!, 1), unit, what: `batch 8: ${b8.calls} calls for ${N} sentences` },
    baseline: { value: round(single[key]!, 1), unit, what: `one sentence per call: ${single.calls} calls` },
    goal: 'none set (lower is better)',
    seconds: (performance.now() - t0) / 1000,
    details: {
      sentences: N,
      source: gold && gold.length >= N ? 'dev gold texts' : 'synthetic',
      batch1: fmt(single),
      batch8: fmt(b8),
      batch16: fmt(b16),
      ratioBatch8: round(b8[key]! / single[key]!, 4),
      ratioBatch16: round(b16[key]! / single[key]!, 4),
      ratioBatch8CharsOver4: round(b8.estTokensPerSentence / single.estTokensPerSentence, 4),
      ratioBatch16CharsOver4: round(b16.estTokensPerSentence / single.estTokensPerSentence, 4),
      tokenizer: tokenize
        ? 'SmolLM2-135M (node-llama-cpp model.tokenize, message contents only; no chat template, no schema)'
        : 'chars/4',
    },
    notes: [
      `batch 16: ${round(b16[key]!, 1)} ${unit} (ratio ${round(b16[key]! / single[key]!, 3)}); the JSON schema (response_format) is not counted`,
      ...notes,
    ],
  });
}

await mainIfDirect(import.meta.url, run);
