// lib/config/privacy.ts: sensitive notes go only to the local model, loopback, or hosts the experiment explicitly allows.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { type Experiment } from '../../lib/config/experiment.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { isLoopbackHost, sensitiveEndpointRefusal } from '../../lib/config/privacy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const DEMO = join(PROJECT_ROOT, 'examples/demo/data');

/** A real, validated Experiment from a temp YAML file (gold and corpus are the demo data, by absolute path). */
function experiment(llm: Record<string, unknown>, opts: { sensitive?: boolean; silver?: boolean } = {}): Experiment {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-privacy-test-'));
  const silver = opts.silver ?? true;
  const file = join(dir, 'experiment.yaml');
  writeFileSync(
    file,
    stringify({
      name: 'privacy',
      taxonomy: join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'),
      gold: { train: join(DEMO, 'gold-train.jsonl'), test: join(DEMO, 'gold-test.jsonl') },
      corpus: { path: join(DEMO, 'notes.jsonl'), sensitive: opts.sensitive ?? true },
      silver: { enabled: silver },
      llm,
      evaluate: { mixes: silver ? ['gold', 'gold+silver'] : ['gold', 'gold+bronze'] },
    }),
  );
  return loadExperiment(file);
}

const openai = (baseURL: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  provider: 'openai',
  baseURL,
  model: 'm',
  ...extra,
});

describe('sensitiveEndpointRefusal', () => {
  it('the local provider is always allowed', () => {
    const e = experiment({ provider: 'local' });
    expect(e.corpus?.sensitive).toBe(true);
    expect(sensitiveEndpointRefusal(e)).toBeUndefined();
  });

  it.each([
    'http://127.0.0.1:8000/v1',
    'http://127.3.2.1/v1',
    'http://localhost:8000/v1',
    'http://LOCALHOST:1/v1',
    'http://[::1]:8000/v1',
  ])('loopback %s is allowed', (url) => {
    expect(sensitiveEndpointRefusal(experiment(openai(url)))).toBeUndefined();
  });

  it.each([
    'https://api.openai.com/v1',
    'http://10.0.0.5:8000/v1',
    'http://127.0.0.1.example.com/v1',
    'http://localhost.example.com/v1',
    'http://[::2]/v1',
  ])('remote %s is refused', (url) => {
    const why = sensitiveEndpointRefusal(experiment(openai(url)));
    expect(why).toBeDefined();
    expect(why).toContain(new URL(url).hostname);
    expect(why).toMatch(/corpus\.sensitive/);
    expect(why).toMatch(/llm\.allowSensitive/);
  });

  it('a remote host listed in allowSensitive is allowed, case-insensitively', () => {
    expect(
      sensitiveEndpointRefusal(
        experiment(openai('https://llm.hospital.example/v1', { allowSensitive: ['LLM.Hospital.Example'] })),
      ),
    ).toBeUndefined();
    expect(
      sensitiveEndpointRefusal(
        experiment(
          openai('https://LLM.HOSPITAL.example/v1', { allowSensitive: ['other.example', 'llm.hospital.example'] }),
        ),
      ),
    ).toBeUndefined();
  });

  it('a list that does not name the host still refuses', () => {
    const why = sensitiveEndpointRefusal(
      experiment(openai('https://api.openai.com/v1', { allowSensitive: ['llm.hospital.example', 'openai.com'] })),
    );
    expect(why).toContain('api.openai.com');
    expect(
      sensitiveEndpointRefusal(experiment(openai('https://api.openai.com/v1', { allowSensitive: false }))),
    ).toBeDefined();
    expect(
      sensitiveEndpointRefusal(experiment(openai('https://api.openai.com/v1', { allowSensitive: [] }))),
    ).toBeDefined();
  });

  it('allowSensitive: true allows any host', () => {
    expect(
      sensitiveEndpointRefusal(experiment(openai('https://api.openai.com/v1', { allowSensitive: true }))),
    ).toBeUndefined();
  });

  it('a non-sensitive corpus may go anywhere', () => {
    for (const url of ['https://api.openai.com/v1', 'http://10.0.0.5:8000/v1', 'http://127.0.0.1:8000/v1']) {
      expect(sensitiveEndpointRefusal(experiment(openai(url), { sensitive: false }))).toBeUndefined();
    }
  });

  it('no notes are sent when silver is disabled', () => {
    expect(
      sensitiveEndpointRefusal(experiment(openai('https://api.openai.com/v1'), { silver: false })),
    ).toBeUndefined();
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback names and addresses only', () => {
    for (const h of ['localhost', '127.0.0.1', '127.255.0.9', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      'example.com',
      '10.0.0.1',
      '128.0.0.1',
      '0.0.0.0',
      'localhost.evil.com',
      '127.0.0.1.evil.com',
      '::2',
      '',
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
