// The default prompts render byte-for-byte the requests recorded for the demo, so existing answer caches still answer.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoRequests, RECORDED_REQUESTS, type RecordedRequest } from '../support/demo-requests.js';

describe('recorded requests', () => {
  const recorded = JSON.parse(readFileSync(RECORDED_REQUESTS, 'utf8')) as RecordedRequest[];
  const now = demoRequests();

  it('covers every stage of the demo', () => {
    expect(new Set(recorded.map((r) => r.stage))).toEqual(
      new Set(['silver', 'bronze', 'selfcheck-silver', 'selfcheck-bronze']),
    );
    expect(now.length).toBe(recorded.length);
  });

  it('renders every request byte-for-byte as recorded (messages, response_format, parameters, cache key)', () => {
    for (const [i, r] of recorded.entries()) {
      const n = now[i]!;
      expect(n.stage).toBe(r.stage);
      for (const [j, m] of r.messages.entries()) expect(n.messages[j]).toEqual(m);
      expect(JSON.stringify(n.response_format)).toBe(JSON.stringify(r.response_format));
      expect(JSON.stringify(n)).toBe(JSON.stringify(r));
    }
  });
});
