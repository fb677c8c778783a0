// The Temporal UI reads like the experiment: a finished run's workflow page, rendered by headless Chromium from the
// dev server's UI, shows the activities' summaries; the workflow carries its static summary and details.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { DEMO_DIR, writeTestExperiment } from '../support/experiments.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import { dumpUrl } from '../support/chromium.js';
import { Clinsynth } from '../../client/api.js';

let llm: FakeLlmServer;
let cs: Clinsynth;

beforeAll(async () => {
  process.env.CLINSYNTH_HOME = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
  llm = await startFakeLlmServer({ seed: 13 });
  cs = await Clinsynth.connect({
    address: inject('temporalAddress'),
    uiBase: inject('temporalUiBase'),
    worker: { llmConcurrency: 4 },
  });
});

afterAll(async () => {
  await cs?.close();
  await llm?.close();
});

/** Visible text of a dumped page, one element's text a line. */
function pageText(dom: string): string[] {
  const text = dom.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, '\n');
  return text
    .split('\n')
    .map((l) => l.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim())
    .filter(Boolean);
}

/** The page's text once it shows `expect` (the UI is a JavaScript app: a cold first load may render nothing yet). */
async function renderedText(url: string, expected: RegExp): Promise<string[]> {
  let lines: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    lines = pageText(await dumpUrl(url, { virtualTimeBudgetMs: 15_000 }));
    if (lines.some((l) => expected.test(l))) return lines;
  }
  return lines;
}

describe('Temporal UI', () => {
  it('shows every activity of a finished run with its summary, and the run its static summary and details', async () => {
    const { file } = writeTestExperiment({ name: 'ui-demo', llm: { baseURL: llm.url } });
    const run = await cs.start(file);
    await run.result();

    const d = await run.handle.describe();
    expect(await d.staticSummary()).toBe('ui-demo · fake-model · ad-signs-symptoms@1');
    const details = await d.staticDetails();
    expect(details).toContain('| LLM | openai fake-model, concurrency 4 |');
    expect(details).toContain('| train | logreg, seeds 1, 2 |');

    const lines = await renderedText(run.uiUrl, /silver page/);
    const summaries = lines.filter((l) => / • /.test(l));
    const has = (re: RegExp) =>
      expect(
        summaries.some((l) => re.test(l)),
        `${re} in\n${summaries.join('\n')}`,
      ).toBe(true);
    has(/^startRun • set up: ad-signs-symptoms@1, 8 labels/);
    has(/^labelSilverPage • silver page 1\/\d+ \(4 sentences a call\)$/);
    has(/^labelSilverPage • LLM as annotator: gold test page 1\/\d+/);
    has(/^generateBronzePage • bronze page 1\/\d+ \(3 sentences a call\)$/);
    has(/^selfCheckPage • self-check bronze page 1\/\d+$/);
    has(/^mergeDatasets • merge: \d+ silver, \d+ bronze rows with gold/);
    has(/^trainAndPredict • train gold\+silver seed 1 \(logreg, 1 fold\)$/);
    has(/^compareMixes • evaluate: gold\+silver, gold\+bronze, gold\+silver\+bronze vs gold/);
    has(/^writeReport • write report/);
    // Pages are named by number, never by their sentences: no gold or note text reaches the UI's summaries.
    const texts = [
      ...readJsonl<{ text: string }>(join(DEMO_DIR, 'data/gold-test.jsonl')),
      ...readJsonl<{ text: string }>(join(DEMO_DIR, 'data/notes.jsonl')),
    ].map((r) => r.text.slice(0, 30));
    for (const l of summaries) {
      expect(l.length).toBeLessThan(160);
      for (const t of texts) expect(l).not.toContain(t);
    }
  });
});
