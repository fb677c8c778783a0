// Prompt templates the researcher owns: a custom template re-asks only its stage, versions by content, validate's
// FILE:LINE errors, rationales before the labels, and the run's copy of its templates.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateBronzePage, labelSilverPage, selfCheckPage, type PageContext } from '../../lib/generate/llm-pages.js';
import { bronzeJobs, defaultPrompt, silverRequest } from '../../lib/generate/prompts.js';
import { DEFAULT_PROMPTS_DIR, loadPrompt } from '../../lib/generate/templates.js';
import { checkPrompts, copyPrompts } from '../../lib/generate/stage-prompts.js';
import { FileLlmCache } from '../../lib/llm/cache.js';
import { OpenAIProvider } from '../../lib/llm/openai-provider.js';
import type { LlmProvider, LlmRequest } from '../../lib/llm/types.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { formatProblem, InputError } from '../../lib/config/problems.js';
import { pagePath, readJsonl, readRunExperiment, RUN_FILES, writeJsonl, writePages } from '../../lib/run/run-dir.js';
import type { CandidateRow, SilverRow, VerdictRow } from '../../lib/run/records.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { checkExperiment } from '../../client/api.js';
import { labelStudioConfig, labelStudioTasks, rationalesShown } from '../../lib/review/label-studio.js';
import { estimateCost } from '../../lib/generate/cost-estimate.js';
import { readPromptsUsed, type Report } from '../../lib/report/model.js';
import { promptsSection } from '../../lib/report/view/prompts.js';
import { fakeLlmPerFile } from '../support/fake-llm-per-file.js';
import { writeRunDir, writeTestExperiment } from '../support/experiments.js';

const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'));
const server = fakeLlmPerFile(
  { seed: 3 },
  {
    rate429: 0,
    rate500: 0,
    rateHang: 0,
    rateMalformed: 0,
    rateTruncated: 0,
    rateUnknownLabel: 0,
    bronzeJunkShare: 0,
    latencyMs: 0,
  },
);

const TEXTS = [
  'Her daughter reports that she has become forgetful.',
  'Continue donepezil 10 mg daily.',
  'She has been agitated in the evenings.',
  'Blood pressure is well controlled.',
  'He has a shuffling gait and recurrent falls.',
];
const CANDIDATES: CandidateRow[] = TEXTS.map((text, i) => ({
  id: `n${i}:0`,
  noteId: `n${i}`,
  start: 0,
  end: text.length,
  text,
  reason: 'random',
  count: 1,
}));

/** A folder with the default silver system message and a user message of its own. */
function customSilver(user: string, name = 'terse'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'clinsynth-prompt-')), name);
  mkdirSync(dir);
  cpSync(join(DEFAULT_PROMPTS_DIR, 'silver', 'system.njk'), join(dir, 'system.njk'));
  writeFileSync(join(dir, 'user.njk'), user);
  return dir;
}

const TERSE = `Sentences to label ({{ count }}):
{%- for item in items %}
{{ item.id }}: {{ item.text | dump }}
{%- endfor %}
`;

/** Counts the calls that reach the server, by the stage their schema names. */
function counting(inner: LlmProvider): LlmProvider & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  return {
    kind: inner.kind,
    model: inner.model,
    calls,
    complete(r: LlmRequest, signal?: AbortSignal) {
      const stage =
        r.schemaName === 'self_check'
          ? `selfcheck-${r.messages[0]!.content.includes('synthetic') ? 'bronze' : 'silver'}`
          : r.schemaName;
      calls[stage] = (calls[stage] ?? 0) + 1;
      return inner.complete(r, signal);
    },
  };
}

function runDir(overrides: Record<string, unknown> = {}): string {
  const dir = writeRunDir({
    name: 'prompts',
    llm: { baseURL: server.url, model: 'fake', maxTokens: 800, concurrency: 2 },
    overrides: { bronze: { enabled: true, perLabel: 2, perCall: 2, topUpRounds: 0 }, ...overrides },
  });
  writeJsonl(pagePath(dir, 'candidates', 0), CANDIDATES);
  writePages(dir, 'bronzeJobs', bronzeJobs(labelIds(taxonomy), 2, 2, true).slice(0, 3), 10);
  return dir;
}

/** Runs silver, bronze and both self-checks of page 0 with one cache; returns the calls that reached the server. */
async function runAll(dir: string, cacheDir: string): Promise<Record<string, number>> {
  const experiment = readRunExperiment(dir);
  const provider = counting(
    new OpenAIProvider({ baseURL: server.url, model: 'fake', apiKey: 'unused', timeoutMs: 10_000 }),
  );
  const ctx: PageContext = { provider, cache: new FileLlmCache(cacheDir), taxonomy, experiment, runDir: dir };
  await labelSilverPage(ctx, 0);
  await generateBronzePage(ctx, 0);
  await selfCheckPage(ctx, 'silver', 0);
  await selfCheckPage(ctx, 'bronze', 0);
  return provider.calls;
}

describe('prompt templates', () => {
  it('a custom silver template asks silver again, bronze and its self-check come from the cache; rows carry its hash', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'clinsynth-prompt-cache-'));
    const first = await runAll(runDir(), cache);
    expect(first).toEqual({ silver_labels: 2, bronze_sentences: 3, 'selfcheck-silver': 2, 'selfcheck-bronze': 2 });
    expect(await runAll(runDir(), cache)).toEqual({});

    const custom = customSilver(TERSE);
    const dir = runDir({ prompts: { silver: custom } });
    const again = await runAll(dir, cache);
    // Only silver is asked again (its self-check asks again only where silver's labels changed: here none did).
    expect(again).toEqual({ silver_labels: 2 });
    const t = loadPrompt('silver', custom);
    expect(t.version).toMatch(/^terse@[0-9a-f]{12}$/);
    const rows = readJsonl<SilverRow>(pagePath(dir, 'silver', 0));
    expect(rows.map((r) => r.promptVersion)).toEqual(rows.map(() => t.version));
    expect(defaultPrompt('silver').version).toMatch(/^silver@[0-9a-f]{12}$/);
    expect(t.hash).not.toBe(defaultPrompt('silver').hash);
  });

  it('silver.rationale and selfCheck.rationale: a rationale before the labels / verdict, kept in every row', async () => {
    const dir = runDir({
      silver: { enabled: true, batchSize: 4, rationale: true },
      selfCheck: { enabled: true, batchSize: 4, rationale: true },
    });
    const calls = await runAll(dir, mkdtempSync(join(tmpdir(), 'clinsynth-prompt-cache-')));
    expect(calls.silver_labels).toBe(2);
    const silver = readJsonl<SilverRow>(pagePath(dir, 'silver', 0));
    expect(silver).toHaveLength(TEXTS.length);
    for (const r of silver) expect(r.rationale?.trim()).toBeTruthy();
    const verdicts = readJsonl<VerdictRow>(pagePath(dir, 'verdictsSilver', 0));
    for (const v of verdicts) expect(v.rationale?.trim()).toBeTruthy();
    const req = silverRequest(
      taxonomy,
      [{ id: 'a', text: 'x' }],
      { maxTokens: 100, temperature: 0, seed: 0 },
      { rationale: true },
    );
    const item = (req.schema.properties as { answers: { items: { properties: object } } }).answers.items.properties;
    expect(Object.keys(item)).toEqual(['id', 'rationale', 'labels']);
    expect(req.messages[0]!.content).toContain('"rationale": "..."');
  });

  it('validate: a syntax error and an unknown variable each fail with FILE:LINE', async () => {
    const broken = customSilver(
      'Label these.\n{% for item in items %}\n{% if %}{{ item.text }}{% endif %}\n{% endfor %}\n',
      'broken',
    );
    const unknown = customSilver(
      'Label these {{ count }}.\n{{ sentences }}\n{% for item in items %}{{ item.text }}{% endfor %}\n',
      'unknown',
    );
    const silent = customSilver('Label the sentences.\n', 'silent');
    const problems = async (path: string) => {
      const { file } = writeTestExperiment({ llm: { baseURL: server.url }, overrides: { prompts: { silver: path } } });
      try {
        await checkExperiment(file);
      } catch (e) {
        if (e instanceof InputError) return e.problems.map(formatProblem);
        throw e;
      }
      return [];
    };
    const [syntax] = await problems(broken);
    expect(syntax).toMatch(new RegExp(`^${join(broken, 'user.njk')}:3: prompts\\.silver: template syntax error`));
    expect(await problems(unknown)).toEqual([
      `${join(unknown, 'user.njk')}:2: prompts.silver: unknown variable: sentences`,
    ]);
    const [never] = await problems(silent);
    expect(never).toMatch(/user\.njk:1: prompts\.silver: the rendered prompt never shows what it must/);
    expect(await problems(customSilver(TERSE))).toEqual([]);
  });

  it('the defaults check clean, and a run keeps a copy of its templates and their list', () => {
    const { file } = writeTestExperiment({
      llm: { baseURL: server.url },
      overrides: { prompts: { silver: customSilver(TERSE) } },
    });
    const e = loadExperiment(file);
    expect(checkPrompts(e, taxonomy)).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'clinsynth-prompt-run-'));
    const used = copyPrompts(e, dir);
    expect(used.map((u) => [u.stage, u.name])).toEqual([
      ['silver', 'terse'],
      ['bronze', 'bronze'],
      ['selfCheck', 'selfcheck'],
    ]);
    expect(readFileSync(join(dir, 'prompts', 'silver', 'user.njk'), 'utf8')).toBe(TERSE);
    expect(JSON.parse(readFileSync(join(dir, RUN_FILES.promptsUsed), 'utf8'))).toEqual(used);
    expect(readPromptsUsed(dir)).toEqual(used);
    const html = String(promptsSection({ prompts: used } as Report));
    for (const u of used) expect(html).toContain(`<td>${u.name}</td><td><code>${u.hash}</code></td>`);
  });

  it('one file is the user message (the system message stays the default); rationales count in the estimate', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clinsynth-prompt-')), 'bronze-user.njk');
    writeFileSync(file, 'Write {{ count }} sentences for {{ labels | join(", ", "id") }}.\n');
    const t = loadPrompt('bronze', file);
    expect(t.name).toBe('bronze-user');
    expect(t.system.source).toBe(defaultPrompt('bronze').system.source);
    const { file: exp } = writeTestExperiment({ llm: { baseURL: server.url } });
    const plain = loadExperiment(exp);
    const withWhy = loadExperiment(exp, { 'silver.rationale': true, 'selfCheck.rationale': true });
    const tokens = (e: typeof plain) => estimateCost(e, taxonomy).total.completionTokens;
    expect(tokens(withWhy)).toBeGreaterThan(tokens(plain));
  });

  it('review tasks show the rationales', () => {
    const task = {
      ref: 'silver:a',
      set: 'silver' as const,
      id: 'a',
      text: 'x',
      llmLabels: [],
      verdict: null,
      reasons: [],
    };
    const [withWhy] = labelStudioTasks([{ ...task, rationale: 'no sign named', verdictRationale: 'agrees' }], taxonomy);
    expect((withWhy as { data: object }).data).toMatchObject({
      rationale: 'no sign named',
      verdict_rationale: 'agrees',
    });
    const [plain] = labelStudioTasks([task], taxonomy);
    expect((plain as { data: object }).data).not.toHaveProperty('rationale');
    // The interface shows the rationale under the sentence when a task carries one (and every task has the field).
    const mixed = [
      { ...task, rationale: 'forgets is named' },
      { ...task, ref: 'silver:b', id: 'b' },
    ];
    const shown = labelStudioTasks(mixed, taxonomy) as { data: Record<string, unknown> }[];
    expect(shown.map((t) => t.data.rationale)).toEqual(['forgets is named', '']);
    expect(shown[0]!.data).not.toHaveProperty('verdict_rationale');
    const config = labelStudioConfig(taxonomy, rationalesShown(mixed));
    expect(config).toContain('<Text name="rationale" value="$rationale"/>');
    expect(config.indexOf('$rationale')).toBeGreaterThan(config.indexOf('value="$text"'));
    expect(config).not.toContain('$verdict_rationale');
    expect(labelStudioConfig(taxonomy, rationalesShown([{ ...task, verdictRationale: 'agrees' }]))).toContain(
      '<Text name="verdict_rationale" value="$verdict_rationale"/>',
    );
    expect(labelStudioConfig(taxonomy)).not.toContain('rationale');
  });
});
