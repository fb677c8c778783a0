// A study end to end: 4 child experiments of the demo-sized test experiment (bronze.perLabel × train.classifier)
// against the fake endpoint; study.json rows, the children in Temporal, and LLM calls paid once per distinct prompt.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { DEMO_DIR, writeTestExperiment } from '../support/experiments.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { pagePath } from '../../lib/run/run-dir.js';
import { runCli } from '../support/cli.js';
import { dumpUrl } from '../support/chromium.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/contract.js';

let llm: FakeLlmServer;
let connection: Connection;
let client: Client;
const address = () => inject('temporalAddress');

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 11 });
  connection = await Connection.connect({ address: address() });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

const freshHome = () => mkdtempSync(join(tmpdir(), 'clinsynth-home-'));

describe('clinsynth study', () => {
  it('runs 4 children, writes study.json with 4 rows, and pays each LLM answer once across variants', async () => {
    const { file, dir } = writeTestExperiment({ name: 'sweep-base', llm: { baseURL: llm.url } });
    const studyFile = join(dir, 'study.yaml');
    writeFileSync(
      studyFile,
      stringify({
        name: 'sweep',
        base: file,
        vary: { 'bronze.perLabel': [5, 10], 'train.classifier': ['logreg', 'mlp'] },
        concurrency: 2,
        output: join(dir, 'studies'),
      }),
    );

    const valid = await runCli(['validate', studyFile], { TEMPORAL_ADDRESS: address() });
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stderr).toContain('valid study (4 variants');

    llm.resetStats();
    const env = {
      TEMPORAL_ADDRESS: address(),
      CLINSYNTH_HOME: freshHome(),
      CLINSYNTH_UI_URL: inject('temporalUiBase'),
    };
    const r = await runCli(['study', studyFile, '--json'], env);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n')[0]!);
    expect(line).toMatchObject({
      studyId: 'sweep',
      workflowId: 'clinsynth-study-sweep',
      studyDir: join(dir, 'studies', 'sweep'),
    });
    expect(line.uiUrl).toContain('/workflows/clinsynth-study-sweep');
    const studyCalls = llm.stats.requests;

    const study = JSON.parse(readFileSync(join(line.studyDir, 'study.json'), 'utf8'));
    expect(study.variants.map((v: { id: string }) => v.id)).toEqual([
      'perLabel-5.classifier-logreg',
      'perLabel-5.classifier-mlp',
      'perLabel-10.classifier-logreg',
      'perLabel-10.classifier-mlp',
    ]);
    for (const v of study.variants) {
      expect(v.status).toBe('completed');
      expect(v.runId).toBe(`sweep-${v.id}`);
      expect(Object.keys(v.values)).toEqual(['bronze.perLabel', 'train.classifier']);
      expect(Object.keys(v.mixes).sort()).toEqual(['gold', 'gold+bronze', 'gold+silver', 'gold+silver+bronze']);
      expect(v.mixes.gold.macroF1.mean).toBeGreaterThanOrEqual(0);
      expect(v.comparisons['gold+silver'].macroF1.ci).toHaveLength(2);
      const exp = JSON.parse(readFileSync(join(line.studyDir, v.id, 'experiment.json'), 'utf8'));
      expect([exp.bronze.perLabel, exp.train.classifier]).toEqual([
        v.values['bronze.perLabel'],
        v.values['train.classifier'],
      ]);
    }
    const html = readFileSync(join(line.studyDir, 'study.html'), 'utf8');
    expect(html).toContain('<svg id="study-f1-1"');
    expect(html).toContain('perLabel-10.classifier-mlp');

    // Temporal: the parent completed; its 4 children carry ClinsynthStudy and point at it.
    expect((await client.workflow.getHandle('clinsynth-study-sweep').describe()).status.name).toBe('COMPLETED');
    const children = [];
    for await (const w of client.workflow.list({
      query: `${SEARCH_ATTRIBUTES.study} = 'sweep' AND WorkflowType = 'experimentWorkflow'`,
    }))
      children.push(w);
    expect(children.map((w) => w.workflowId).sort()).toEqual(
      study.variants.map((v: { id: string }) => `clinsynth-sweep-${v.id}`).sort(),
    );
    for (const w of children) {
      expect(w.status.name).toBe('COMPLETED');
      expect(w.parentExecution?.workflowId).toBe('clinsynth-study-sweep');
    }

    // The UI (headless Chromium): the study's Relationships tab lists its 4 children; a child's names its parent.
    const parent = await client.workflow.getHandle('clinsynth-study-sweep').describe();
    const relText = async (url: string, expected: string) => {
      let text = '';
      for (let attempt = 0; attempt < 3 && !text.includes(expected); attempt++)
        text = (await dumpUrl(url, { virtualTimeBudgetMs: 15_000 })).replace(/<[^>]+>/g, '\n');
      return text;
    };
    const rel = await relText(
      `${line.uiUrl}/${parent.runId}/relationships`,
      'clinsynth-sweep-perLabel-10.classifier-mlp',
    );
    for (const v of study.variants) expect(rel).toContain(`clinsynth-sweep-${v.id}`);
    const first = children.find((w) => w.workflowId === 'clinsynth-sweep-perLabel-5.classifier-logreg')!;
    const childRel = await relText(
      `${inject('temporalUiBase')}/namespaces/default/workflows/${first.workflowId}/${first.runId}/relationships`,
      'Parent Workflow',
    );
    expect(childRel).toContain('Parent Workflow');

    // The same LLM work as the two distinct perLabel values alone (mlp and logreg share every answer).
    llm.resetStats();
    const alone = { TEMPORAL_ADDRESS: address(), CLINSYNTH_HOME: freshHome() };
    for (const perLabel of [5, 10]) {
      const { file: f } = writeTestExperiment({
        name: `alone-${perLabel}`,
        llm: { baseURL: llm.url },
        overrides: { bronze: { enabled: true, perLabel, perCall: 3 } },
      });
      const one = await runCli(['run', f, '--json'], alone);
      expect(one.code, one.stderr.slice(-3000)).toBe(0);
    }
    expect(studyCalls).toBeGreaterThan(10);
    expect(studyCalls).toBe(llm.stats.requests);

    // `clinsynth report STUDY` rebuilds study.json and study.html.
    rmSync(join(line.studyDir, 'study.json'));
    const rebuilt = await runCli(['report', 'sweep'], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const again = JSON.parse(readFileSync(join(line.studyDir, 'study.json'), 'utf8'));
    expect(again.variants.map((v: { mixes: unknown }) => v.mixes)).toEqual(
      study.variants.map((v: { mixes: unknown }) => v.mixes),
    );
  });

  it('a prompt study: two silver templates × rationale; study.json and study.html compare each arm with the baseline arm', async () => {
    const { file, dir } = writeTestExperiment({
      name: 'prompt-base',
      llm: { baseURL: llm.url },
      overrides: {
        corpus: { path: join(DEMO_DIR, 'data/notes.jsonl'), format: 'jsonl', maxSentences: 8 },
        bronze: { enabled: false },
        selfCheck: { enabled: false },
        train: { seeds: [1] },
        evaluate: { mixes: ['gold', 'gold+silver'], llmAgreement: false, bootstrap: 200 },
      },
    });
    // The study sits in its own folder: its template path is relative to it, not to the base experiment.
    const studyDir = join(dir, 'study');
    mkdirSync(join(studyDir, 'prompts'), { recursive: true });
    copyFileSync(join(PROJECT_ROOT, 'examples/studies/prompts/terse.njk'), join(studyDir, 'prompts/terse.njk'));
    const studyFile = join(studyDir, 'prompts.yaml');
    writeFileSync(
      studyFile,
      stringify({
        name: 'prompts',
        base: file,
        vary: {
          'prompts.silver': [join(PROJECT_ROOT, 'prompts/silver'), 'prompts/terse.njk'],
          'silver.rationale': [false, true],
        },
        concurrency: 2,
        output: join(dir, 'studies'),
      }),
    );
    const env = { TEMPORAL_ADDRESS: address(), CLINSYNTH_HOME: freshHome() };
    const r = await runCli(['study', studyFile, '--json'], env);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    const out = join(dir, 'studies', 'prompts');
    const study = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8'));
    const ids = [
      'silver-silver.rationale-false',
      'silver-silver.rationale-true',
      'silver-terse.rationale-false',
      'silver-terse.rationale-true',
    ];
    expect(study.variants.map((v: { id: string }) => v.id)).toEqual(ids);
    expect(study.baseline).toBe(ids[0]);
    expect(study.armResamples).toBe(200);
    expect(study.variants[0].arms).toEqual({});
    for (const v of study.variants.slice(1)) {
      expect(v.status).toBe('completed');
      for (const mix of ['gold', 'gold+silver']) {
        const a = v.arms[mix];
        expect(a.baseline).toBe(ids[0]);
        expect(a.macroF1.ci[0]).toBeLessThanOrEqual(a.macroF1.delta);
        expect(a.macroF1.ci[1]).toBeGreaterThanOrEqual(a.macroF1.delta);
        expect(a.sentences).toBeGreaterThan(0);
        expect(a.macroF1.pHolm).toBeGreaterThanOrEqual(a.macroF1.p);
      }
      // gold alone does not depend on the silver prompt: the same classifier on the same sentences.
      expect(v.arms.gold.macroF1).toMatchObject({ delta: 0, ci: [0, 0] });
      const rows = readFileSync(pagePath(join(out, v.id), 'silver', 0), 'utf8')
        .trim()
        .split('\n');
      const row = JSON.parse(rows[0]!);
      expect(row.promptVersion).toMatch(v.id.includes('terse') ? /^terse@/ : /^silver@/);
      expect(Boolean(row.rationale)).toBe(v.values['silver.rationale']);
    }
    const html = readFileSync(join(out, 'study.html'), 'utf8');
    expect(html).toContain(`Each arm against the baseline arm ${ids[0]}`);
    expect(html).toContain('<svg id="study-arms"');
    const table = html.slice(
      html.indexOf('<table id="arms">'),
      html.indexOf('</table>', html.indexOf('<table id="arms">')),
    );
    for (const v of study.variants.slice(1)) {
      const a = v.arms['gold+silver'].macroF1;
      const f3 = (x: number) => x.toFixed(3);
      expect(table).toContain(`${v.id} · gold+silver</td><td>${f3(a.delta)} [${f3(a.ci[0])}, ${f3(a.ci[1])}]`);
    }
  });

  it('validate and study reject a bad study file with file:line problems and exit 2', async () => {
    const { file, dir } = writeTestExperiment({ name: 'sweep-bad', llm: { baseURL: llm.url } });
    const studyFile = join(dir, 'study.yaml');
    writeFileSync(studyFile, `name: bad\nbase: ${file}\nvary:\n  bronze.perLabel: [5, -1]\n`);
    for (const cmd of ['validate', 'study']) {
      const r = await runCli([cmd, studyFile], { TEMPORAL_ADDRESS: address() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${studyFile}:4: vary.bronze.perLabel: -1: bronze.perLabel:`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
