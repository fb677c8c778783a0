// The report's "Fidelity and diversity" section: distinct-n, self-similarity, nearest-real cosines, length and negation against gold, label distribution and JS divergence, memorisation risk.
import type { GroupFidelity } from '../../fidelity/run-fidelity.js';
import type { Distribution } from '../../fidelity/measures.js';
import { html, type SafeHtml } from '../../run/html.js';
import { f3, int, share } from '../format.js';
import type { Report } from '../model.js';

const dist = (d: Distribution | null) =>
  d ? html`${f3(d.p50)} <span class="muted">(p90 ${f3(d.p90)}, max ${f3(d.max)})</span>` : '—';

function groupRow(
  name: string,
  g: GroupFidelity,
  gold: { meanTokens: number; negationShare: number } | undefined,
): SafeHtml {
  return html`<tr><th>${name}</th><td>${int(g.sentences)}</td><td>${f3(g.distinct1)}</td><td>${f3(g.distinct2)}</td><td>${f3(g.selfSimilarity)}</td><td>${dist(g.nearestGold)}</td><td>${dist(g.nearestCorpus)}</td><td>${g.meanTokens.toFixed(1)} <span class="muted">/ ${gold ? gold.meanTokens.toFixed(1) : '—'}</span></td><td>${share(g.negationShare)} <span class="muted">/ ${gold ? share(gold.negationShare) : '—'}</span></td></tr>`;
}

export function fidelitySection(r: Report): SafeHtml {
  const f = r.fidelity;
  if (!f) return html``;
  const sets = Object.entries(f.sets);
  if (!sets.length)
    return html`<section id="fidelity"><h2>Fidelity and diversity</h2><p class="muted">No usable silver or bronze rows to measure.</p></section>`;
  const labels = Object.keys(f.gold.labelDistribution.counts);
  const distTable = html`<table class="num"><thead><tr><th>label</th><th>gold</th>${sets.map(([s]) => html`<th>${s}</th>`)}</tr></thead><tbody>${labels.map(
    (l) =>
      html`<tr><th>${l}</th><td>${int(f.gold.labelDistribution.counts[l])} <span class="muted">${share(f.gold.labelDistribution.shares[l])}</span></td>${sets.map(([, s]) => html`<td>${int(s.labelDistribution.counts[l])} <span class="muted">${share(s.labelDistribution.shares[l])}</span></td>`)}</tr>`,
  )}<tr class="total"><th>JS divergence vs gold (bits) / distance</th><td>—</td>${sets.map(([, s]) => html`<td>${f3(s.jsDivergence)} / ${f3(s.jsDistance)}</td>`)}</tr></tbody></table>`;
  const perSet = sets.map(([name, s]) => {
    const sampled =
      s.sampled < s.rows
        ? ` — measured on ${int(s.sampled)} of ${int(s.rows)} rows, neighbours searched for ${int(s.nearestSampled)}`
        : s.nearestSampled < s.sampled
          ? ` — neighbours searched for ${int(s.nearestSampled)}`
          : '';
    const risk =
      name === 'bronze'
        ? s.memorisationRisk.length
          ? html`<p class="warn">${int(s.memorisationRisk.length)} bronze sentence${s.memorisationRisk.length === 1 ? ' is' : 's are'} at cosine ≥ ${f3(f.leakageThreshold)} to a real sentence (memorisation risk):</p><table class="num"><thead><tr><th class="l">bronze</th><th class="l">nearest real sentence</th><th>of</th><th>cosine</th></tr></thead><tbody>${s.memorisationRisk
              .slice(0, 50)
              .map(
                (m) =>
                  html`<tr><td class="l">${m.text}</td><td class="l">${m.nearestText}</td><td>${m.of}</td><td>${f3(m.cosine)}</td></tr>`,
              )}</tbody></table>`
          : html`<p class="note">No bronze sentence is at cosine ≥ ${f3(f.leakageThreshold)} to a gold or corpus sentence.</p>`
        : '';
    return html`<h3 style="font-size:14px;margin:14px 0 0">${name} <span class="muted">(${int(s.rows)} usable rows${sampled})</span></h3>
<table class="num" id="fidelity-${name}"><thead><tr><th>label</th><th>sentences</th><th>distinct-1</th><th>distinct-2</th><th>self-similarity</th><th>nearest gold cos (median)</th><th>nearest corpus cos (median)</th><th>tokens / gold</th><th>negated / gold</th></tr></thead><tbody>${groupRow('all', s.overall, f.gold.overall)}${Object.entries(
      s.perLabel,
    )
      .filter(([, g]) => g.sentences > 0)
      .map(([l, g]) => groupRow(l, g, f.gold.perLabel[l]))}</tbody></table>${risk}`;
  });
  return html`<section id="fidelity"><h2>Fidelity and diversity</h2>
<p class="note">How real and how varied the usable synthetic rows are, per label and overall, against gold (${f.encoder} embeddings; ${int(f.corpusSentences)} corpus sentences of the run's sample). distinct-n: distinct n-grams / all n-grams (higher = more varied wording). Self-similarity: mean cosine between two sentences of the set (higher = more alike). Nearest cosine: each sentence's closest gold (or, for bronze, corpus) sentence. A good set sits near gold's length, negation share and label distribution; none of these says the labels are right (see the agreement sections).</p>
${distTable}${perSet}</section>`;
}
