// Writes tests/fixtures/recorded-requests/demo.json: run once, by hand, only when the default prompts change on purpose.
import { writeFileSync } from 'node:fs';
import { demoRequests, RECORDED_REQUESTS } from './demo-requests.js';

writeFileSync(RECORDED_REQUESTS, `${JSON.stringify(demoRequests(), null, 2)}\n`);
console.log(`wrote ${RECORDED_REQUESTS}`);
