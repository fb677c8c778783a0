// The embedded LLM as annotator: SmolLM2's silver labels of the dev gold against gold, with its speed on 2 cores.
import { existsSync } from 'node:fs';
import { LocalProvider } from '../lib/llm/local-provider.js';
import { parseSilverAnswer, silverRequest } from '../lib/generate/prompts.js';
import { readGold } from '../lib/corpus/readers.js';
import { labelIds, loadTaxonomy } from '../lib/config/taxonomy.js';
import { agreement } from '../lib/evaluate/metrics.js';
import { DEV_GOLD, QUICK, TAXONOMY, mainIfDirect, result, round, type BenchResult } from './common.js';

const BATCH = 8;

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const taxonomy = loadTaxonomy(TAXONOMY);
  const labels = labelIds(taxonomy);
  const notes: string[] = [];
  let gold: { id: string; text: string; labels: string[] }[];
  if (existsSync(DEV_GOLD)) gold = readGold(DEV_GOLD, labels);
  else {
    notes.push(`no dev gold at ${DEV_GOLD} (the shared data folder beside the checkout): used the taxonomy's examples`);
    gold = taxonomy.examples.map((e, i) => ({ id: `ex${i}`, text: e.text, labels: e.labels }));
  }
  if (QUICK) gold = gold.slice(0, 48);
  const provider = await LocalProvider.load();
  const predicted = new Map<string, string[]>();
  let completionTokens = 0;
  let genSeconds = 0;
  let unusable = 0;
  for (let i = 0; i < gold.length; i += BATCH) {
    const items = gold.slice(i, i + BATCH).map(({ id, text }) => ({ id, text }));
    const s = performance.now();
    const answer = await provider.complete(
      silverRequest(taxonomy, items, { maxTokens: 60 * BATCH, temperature: 0, seed: 0 }),
    );
    genSeconds += (performance.now() - s) / 1000;
    completionTokens += answer.usage.completionTokens;
    const parsed = parseSilverAnswer(answer.text, items, labels);
    if (parsed.ok) for (const [id, ls] of parsed.labels) predicted.set(id, ls);
    else unusable++;
  }
  await provider.close();
  const rows = gold.filter((g) => predicted.has(g.id));
  const a = agreement(
    rows.map((r) => r.labels),
    rows.map((r) => predicted.get(r.id)!),
    labels,
  );
  // Baseline in the same run: the trivial annotator that labels nothing (the majority answer in notes).
  const none = agreement(
    rows.map((r) => r.labels),
    rows.map(() => []),
    labels,
  );
  return result({
    id: 'llm',
    title: 'embedded LLM (SmolLM2-135M) as annotator on the dev gold',
    figure: {
      value: round(a.exactMatch, 3),
      unit: 'exact-match share',
      what: `${rows.length} sentences, micro-F1 ${round(a.microF1, 3)}, macro-F1 ${round(a.macroF1, 3)}`,
    },
    baseline: { value: round(none.exactMatch, 3), unit: 'exact-match share', what: 'an annotator that labels nothing' },
    goal: 'none set (information for choosing the embedded model)',
    seconds: (performance.now() - t0) / 1000,
    details: {
      calls: Math.ceil(gold.length / BATCH),
      unusableAnswers: unusable,
      secondsPerCall: round(genSeconds / Math.ceil(gold.length / BATCH), 2),
      completionTokensPerSecond: round(completionTokens / genSeconds, 1),
      microF1: round(a.microF1, 3),
      macroF1: round(a.macroF1, 3),
      perLabelF1: Object.fromEntries(Object.entries(a.perLabel).map(([l, s]) => [l, round(s.f1, 3)])),
    },
    notes,
  });
}

await mainIfDirect(import.meta.url, run);
