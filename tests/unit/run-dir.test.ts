// RunDir: a run's file names and folders, and its experiment.json read back through the experiment schema.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunDir, readRunExperiment } from '../../lib/run/run-dir.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { InputError } from '../../lib/config/problems.js';
import { writeRunDir, writeTestExperiment } from '../support/experiments.js';

describe('RunDir', () => {
  it('names the run files and pages under its path', () => {
    const run = new RunDir('/runs/r1');
    expect(run.file('experiment')).toBe('/runs/r1/experiment.json');
    expect(run.file('lostPages')).toBe('/runs/r1/failures/pages.jsonl');
    expect(run.page('silver', 7)).toBe('/runs/r1/silver/labels/page-000007.jsonl');
  });

  it('hands out the experiment the run was started with, validated', () => {
    const runDir = writeRunDir({ llm: { baseURL: 'http://127.0.0.1:9/v1' } });
    const { file } = writeTestExperiment({ llm: { baseURL: 'http://127.0.0.1:9/v1' } });
    const e = new RunDir(runDir).experiment();
    const fresh = loadExperiment(file);
    expect(e.llm).toEqual(fresh.llm);
    expect(e.labels).toEqual(fresh.labels);
    expect(readRunExperiment(runDir)).toEqual(e);
  });

  it('refuses an experiment.json that does not fit the schema, with the file, line and key', () => {
    const runDir = writeRunDir({ llm: { baseURL: 'http://127.0.0.1:9/v1' } });
    const path = join(runDir, 'experiment.json');
    const e = JSON.parse(readFileSync(path, 'utf8'));
    e.llm.concurrency = 'four';
    delete e.labels;
    writeFileSync(path, JSON.stringify(e, null, 2));
    const err = (() => {
      try {
        new RunDir(runDir).experiment();
      } catch (x) {
        return x;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    const { problems } = err as InputError;
    expect(problems.map((p) => p.key).sort()).toEqual(['labels', 'llm.concurrency']);
    const concurrency = problems.find((p) => p.key === 'llm.concurrency')!;
    expect(concurrency.file).toBe(path);
    const line =
      readFileSync(path, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('"concurrency"')) + 1;
    expect(concurrency.line).toBe(line);
  });
});
