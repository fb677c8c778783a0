// `clinsynth try FILE [--stage silver|bronze|selfcheck] [--n 10] [--label ID] [--gold] [--show-prompt] [--json]`: one
// stage's prompts on a small sample, sent to the experiment's LLM directly, each item printed with its parsed answer.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileLlmCache } from '../lib/llm/cache.js';
import { closeAllProviders, providerFor } from '../lib/llm/providers.js';
import { clinsynthHome } from '../lib/config/paths.js';
import { runEncoderSpec, sharedEmbed } from '../lib/model/embeddings.js';
import { tryStage, type TryResult, type TryStage } from '../lib/generate/try-stage.js';
import { checkExperiment } from './api.js';

const STAGES: TryStage[] = ['silver', 'bronze', 'selfcheck'];

export class TryUsageError extends Error {}

function show(r: TryResult, showPrompt: boolean, out: (s: string) => void): void {
  out(`${r.stage}: template ${r.template.name}@${r.template.hash} (${r.template.path})`);
  if (showPrompt)
    r.prompts.forEach((messages, i) => {
      out(`--- request ${i + 1} of ${r.prompts.length}`);
      for (const m of messages) out(`[${m.role}]\n${m.content}`);
    });
  out('---');
  r.items.forEach((it, i) => {
    const labels = it.labels.length ? it.labels.join(', ') : '(none)';
    const head = it.verdict
      ? `${it.verdict}: ${(it.silverLabels ?? []).join(', ') || '(none)'} -> ${labels}${it.reason ? ` (${it.reason})` : ''}`
      : labels;
    const gold = it.gold ? `\n   gold: ${it.gold.join(', ') || '(none)'}` : '';
    out(
      `${i + 1}. ${JSON.stringify(it.text)}\n   ${head}${gold}${it.rationale ? `\n   rationale: ${it.rationale}` : ''}`,
    );
  });
  const a = r.agreement;
  if (a)
    out(
      `agreement with gold on ${a.n} gold test sentences: exact match ${a.exactMatch.toFixed(2)}, macro-F1 ${a.macroF1.toFixed(2)}, micro-F1 ${a.microF1.toFixed(2)}`,
    );
  const u = r.usage;
  out(
    `${r.items.length} items; ${u.calls} calls (${u.cacheHits} from the cache), ${u.promptTokens} prompt + ${u.completionTokens} completion tokens, ${u.failures} unusable answers`,
  );
}

export async function tryCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      stage: { type: 'string', default: 'silver' },
      n: { type: 'string', default: '10' },
      label: { type: 'string' },
      gold: { type: 'boolean', default: false },
      'show-prompt': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new TryUsageError(`expected one experiment file, got ${positionals.length}`);
  const stage = values.stage as TryStage;
  if (!STAGES.includes(stage)) throw new TryUsageError(`--stage: one of ${STAGES.join(', ')}`);
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new TryUsageError('--n: a whole number from 1 to 200');
  if (values.gold && stage !== 'silver') throw new TryUsageError('--gold: only with --stage silver');
  // The same checks as `validate`: the templates render, and sensitive notes never go to a remote endpoint.
  const experiment = await checkExperiment(positionals[0]!);
  try {
    const provider = await providerFor(experiment.llm);
    const cache = new FileLlmCache(join(clinsynthHome(), 'llm-cache'));
    const embed = (texts: string[]) => sharedEmbed(texts, undefined, runEncoderSpec(experiment));
    const r = await tryStage(experiment, { stage, n, label: values.label, gold: values.gold, provider, cache, embed });
    const out = (s: string) => process.stdout.write(s + '\n');
    if (values.json) out(JSON.stringify(values['show-prompt'] ? r : { ...r, prompts: undefined }, null, 2));
    else show(r, values['show-prompt'], out);
    return r.items.length ? 0 : 1;
  } finally {
    await closeAllProviders();
  }
}
