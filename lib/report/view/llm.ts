// The report's "LLM usage" section: calls, cache hits, tokens, unusable answers and cost per stage, and provider batches.
import { html, type SafeHtml } from '../../run/html.js';
import { int, num, pct } from '../format.js';
import type { Report, Usage } from '../model.js';

const usd = (v: number | undefined) => (typeof v === 'number' ? `$${v.toFixed(v < 1 ? 4 : 2)}` : '—');

function usageTable(r: Report): SafeHtml {
  const stages = Object.entries(r.llm.byStage);
  const hasCost = typeof r.llm.costUsd === 'number' || stages.some(([, u]) => typeof u.costUsd === 'number');
  // Reasoning and cached prompt tokens get their columns once a provider reported any (they are parts of the
  // completion and prompt tokens: thinking billed as output, cached prompts at the cached rate).
  const all = [r.llm, ...stages.map(([, u]) => u)];
  const hasReasoning = all.some((u) => num(u.reasoningTokens) > 0);
  const hasCached = all.some((u) => num(u.cachedPromptTokens) > 0);
  const row = (name: string, u: Usage, total = false) => {
    const cell = (content: unknown, warn = false) =>
      total
        ? html`<th${warn && html` class="warn"`}>${content}</th>`
        : html`<td${warn && html` class="warn"`}>${content}</td>`;
    const hits = html`${int(u.cacheHits)} <span class="muted">(${pct(num(u.cacheHits), num(u.calls) + num(u.cacheHits))})</span>`;
    return html`<tr${total && html` class="total"`}><th>${name}</th>${cell(int(u.calls))}${cell(hits)}${cell(int(u.promptTokens))}${hasCached && cell(int(num(u.cachedPromptTokens)))}${cell(int(u.completionTokens))}${hasReasoning && cell(int(num(u.reasoningTokens)))}${cell(int(u.failures), num(u.failures) > 0)}${hasCost && cell(usd(u.costUsd))}</tr>`;
  };
  const cost =
    typeof r.llm.costUsd === 'number' &&
    html`<p class="cost">Estimated LLM cost for this run: <b>${usd(r.llm.costUsd)}</b></p>`;
  const rows = stages.length
    ? stages.map(([s, u]) => row(s, u))
    : html`<tr><td colspan="6" class="l muted">no LLM stage ran</td></tr>`;
  return html`<table class="num"><thead><tr><th>stage</th><th>calls</th><th>cache hits</th><th>prompt tokens</th>${hasCached && html`<th>of which cached</th>`}<th>completion tokens</th>${hasReasoning && html`<th>of which reasoning</th>`}<th>unusable answers</th>${hasCost && html`<th>cost (USD)</th>`}</tr></thead><tbody>${rows}${row('total', r.llm, true)}</tbody></table>
<p class="note">Calls are model calls; cache hits are answers replayed from the LLM cache (no model call, no tokens), as a share of all requests. Unusable answers were kept raw in the stage's failures files and left out of the data.${hasCached && " Cached prompt tokens came from the provider's prompt cache and are priced at its cached rate."}${hasReasoning && ' Reasoning tokens are the part of the completion tokens a reasoning model spent thinking (billed as output).'}</p>${cost}`;
}

/** The provider batches of a batch-mode run (llm.batch); nothing for an online run. */
function batchesTable(r: Report): SafeHtml {
  const batches = r.batches ?? [];
  const gaveUp = r.batchErrors ?? [];
  if (!batches.length && !gaveUp.length) return html``;
  const rows = batches.map(
    (b) =>
      html`<tr><th class="l">${b.id}</th><td class="l">${b.stage}</td><td>${int(b.round + 1)}</td><td class="l${b.status === 'completed' ? '' : ' warn'}">${b.status}</td><td>${int(b.total)}</td><td>${int(b.completed)}</td><td>${int(b.failed)}</td><td>${b.answered === undefined ? '—' : int(b.answered)}</td><td class="l muted">${b.error ?? ''}</td></tr>`,
  );
  const answered =
    r.llm.batch &&
    ` Batches answered ${int(r.llm.batch.calls)} requests (${int(r.llm.batch.promptTokens)} prompt and ${int(r.llm.batch.completionTokens)} completion tokens at the batch price).`;
  const note = html`<p class="note">llm.batch: each LLM stage first sent its requests through the provider's batch API (half price); answers went into the LLM cache, and the pages then asked online only for what no batch answered. Answered: answers written to the cache.${answered}</p>`;
  const errors =
    gaveUp.length > 0 &&
    html`<p class="warn">Batch rounds that gave up (their pages went online): ${gaveUp.join('; ')}</p>`;
  return html`<h3 style="font-size:14px;margin:14px 0 0">Batches</h3><table class="num"><thead><tr><th class="l">batch</th><th class="l">stage</th><th>round</th><th class="l">status</th><th>requests</th><th>completed</th><th>failed</th><th>answered</th><th class="l">error</th></tr></thead><tbody>${rows}</tbody></table>${note}${errors}`;
}

export function llmSection(r: Report): SafeHtml {
  return html`<section id="llm"><h2>LLM usage</h2>
${usageTable(r)}
${batchesTable(r)}
</section>`;
}
