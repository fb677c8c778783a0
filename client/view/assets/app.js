// clinsynth viewer page: talks to the JSON API of the same origin only; every text is set with textContent.
'use strict';
const $ = (s, el = document) => el.querySelector(s);
const state = { variant: '', offset: 0, limit: 50, sort: 'ref', desc: false };
const el = (tag, text, attrs = {}) => {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const list = (xs) => (Array.isArray(xs) ? (xs.length ? xs.join(', ') : '(none)') : '—');
async function api(path, params = {}) {
  const q = new URLSearchParams(
    Object.entries({ ...params, variant: state.variant }).filter(([, v]) => v !== '' && v !== undefined),
  );
  const r = await fetch(`${path}?${q}`);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function options(select, values, keepFirst = true) {
  if (!keepFirst) select.textContent = '';
  for (const v of values) select.append(el('option', v.label ?? v.value ?? v, { value: v.value ?? v }));
}
function filters() {
  const f = $('#filters');
  const out = {};
  for (const name of [
    'source',
    'split',
    'labelMode',
    'verdict',
    'usable',
    'phi',
    'flag',
    'reviewReason',
    'promptVersion',
    'q',
  ])
    out[name] = f.elements[name].value;
  out.label = [...f.elements.label.selectedOptions].map((o) => o.value).join(',');
  return out;
}
async function loadRows() {
  const data = await api('/api/rows', {
    ...filters(),
    limit: state.limit,
    offset: state.offset,
    sort: state.sort,
    desc: state.desc ? 'true' : '',
  });
  $('#total').textContent = data.total.toLocaleString('en-US');
  $('#page-info').textContent = data.total ? `(${state.offset + 1}–${state.offset + data.rows.length})` : '';
  const body = $('#rows tbody');
  body.textContent = '';
  for (const r of data.rows) {
    const tr = el('tr', undefined, { 'data-ref': r.ref });
    const flags = [
      r.phi_kinds && r.phi_kinds.length ? 'PHI' : '',
      r.leak_of ? 'leak' : '',
      r.near_duplicate_of ? 'near-dup' : '',
    ]
      .filter(Boolean)
      .join(' ');
    tr.append(
      el('td', r.ref),
      el('td', r.text),
      el('td', list(r.labels)),
      el('td', r.verdict ?? '—'),
      el('td', r.usable ? 'yes' : 'no'),
      el('td', flags, { class: 'flag' }),
    );
    tr.addEventListener('click', () => showRow(r.ref, tr));
    body.append(tr);
  }
  $('#prev').disabled = state.offset === 0;
  $('#next').disabled = state.offset + data.rows.length >= data.total;
}
function dl(pairs) {
  const d = el('dl');
  for (const [k, v] of pairs) d.append(el('dt', k, { class: 'muted' }), el('dd', v));
  return d;
}
function llmBlock(title, p, id) {
  const box = el('div');
  box.append(el('h3', title));
  if (!p) return (box.append(el('p', 'no LLM call behind this row', { class: 'muted' })), box);
  box.append(
    dl([
      ['model', p.model ?? '—'],
      ['prompt version', p.promptVersion ?? '—'],
      ['system prompt sha256', p.systemPromptSha256 ?? '—'],
      ['cache key', p.cacheKey ?? '—'],
    ]),
  );
  if (!p.cached)
    return (box.append(el('p', "the answer is not in this machine's answer cache", { class: 'muted' })), box);
  box.append(el('h4', 'rendered request'));
  box.append(
    p.request
      ? el('pre', p.request.messages.map((m) => `[${m.role}]\n${m.content}`).join('\n\n'))
      : el('p', 'not kept (cached before requests were stored, or a batch answer)', { class: 'muted' }),
  );
  box.append(el('h4', `raw answer (${p.finishReason})`), el('pre', p.rawAnswer, { id }));
  return box;
}
async function showRow(ref, tr) {
  for (const x of document.querySelectorAll('#rows tr.on')) x.classList.remove('on');
  tr?.classList.add('on');
  const d = await api(`/api/rows/${encodeURIComponent(ref)}`);
  const box = $('#detail');
  box.textContent = '';
  box.append(el('h2', ref));
  if (d.context) {
    const p = el('p', undefined, { id: 'context' });
    p.append(
      el('span', `…${d.context.before}`, { class: 'muted' }),
      el('span', d.context.span, { class: 'span' }),
      el('span', `${d.context.after}…`, { class: 'muted' }),
    );
    box.append(el('h3', `in note ${d.context.note}`), p);
  } else box.append(el('p', d.row.text, { id: 'row-text' }));
  box.append(
    el('h3', 'labels'),
    dl([
      ['LLM', list(d.labels.llm)],
      ['after self-check', list(d.labels.afterSelfCheck)],
      ['after review', d.labels.afterReview ? list(d.labels.afterReview) : 'not reviewed'],
    ]),
  );
  if (d.rationale) box.append(el('h3', 'rationale'), el('p', d.rationale));
  box.append(el('h3', 'flags'));
  if (d.flags.length) {
    const ul = el('ul', undefined, { id: 'flags' });
    for (const f of d.flags) ul.append(el('li', `${f.flag}: ${f.reason}`));
    box.append(ul);
  } else box.append(el('p', 'none', { class: 'muted' }));
  if (d.row.selection_reason) box.append(dl([['chosen for labelling because', d.row.selection_reason]]));
  if (d.review)
    box.append(
      el('h3', 'review'),
      dl([
        ['reviewer', d.review.reviewer],
        ['at', d.review.reviewedAt],
        ['reasons', list(d.review.reasons)],
      ]),
    );
  box.append(llmBlock('provenance', d.provenance, 'raw-answer'));
  if (d.selfCheck)
    box.append(
      llmBlock(`self-check: ${d.selfCheck.verdict} — ${d.selfCheck.reason ?? ''}`, d.selfCheck, 'selfcheck-answer'),
    );
  if (d.otherVariants.length) {
    box.append(el('h3', 'the same sentence in other variants'));
    const t = el('table');
    for (const o of d.otherVariants) {
      const tr2 = el('tr');
      tr2.append(
        el('td', o.variant),
        el('td', o.ref),
        el('td', list(o.labels)),
        el('td', o.verdict ?? '—'),
        el('td', o.usable ? 'usable' : 'unusable'),
      );
      t.append(tr2);
    }
    box.append(t);
  }
}
async function loadConfusion() {
  const c = await api('/api/confusion');
  const box = $('#confusion');
  box.textContent = '';
  $('#confusion-note').textContent = c.sentences
    ? `${c.sentences} gold test sentences labelled by the LLM; rows: gold, columns: LLM.${c.after ? ` After the self-check, ${c.rejected} rejected sentences are left out.` : ''}`
    : 'This run did not have the LLM label its gold test sentences (evaluate.llmAgreement).';
  for (const label of c.labels) {
    for (const stage of c.after ? ['before', 'after'] : ['before']) {
      const m = c[stage][label];
      const t = el('table', undefined, { class: 'cm', 'data-label': label, 'data-stage': stage });
      t.append(el('caption', `${label} — ${stage === 'before' ? 'LLM' : 'after self-check'}`));
      const head = el('tr');
      head.append(el('th', ''), el('th', 'LLM yes'), el('th', 'LLM no'));
      t.append(head);
      for (const [name, cells] of [
        ['gold yes', ['tp', 'fn']],
        ['gold no', ['fp', 'tn']],
      ]) {
        const tr = el('tr');
        tr.append(el('th', name));
        for (const cell of cells) {
          const td = el('td');
          const b = el('button', m[cell], { 'data-cell': cell });
          b.addEventListener('click', () => showCell(label, cell, stage));
          td.append(b);
          tr.append(td);
        }
        t.append(tr);
      }
      box.append(t);
    }
  }
}
async function showCell(label, cell, stage) {
  const { sentences } = await api(`/api/confusion/${encodeURIComponent(label)}/${cell}`, { stage });
  const box = $('#cell-sentences');
  box.textContent = '';
  box.classList.remove('muted');
  box.append(
    el(
      'p',
      `${label}, ${cell.toUpperCase()} (${stage === 'before' ? 'LLM' : 'after self-check'}): ${sentences.length} sentence(s)`,
    ),
  );
  const ul = el('ul');
  for (const s of sentences)
    ul.append(
      el('li', `${s.text} — gold: ${list(s.gold)}; LLM: ${list(stage === 'before' ? s.llm : s.llmAfterSelfCheck)}`, {
        'data-id': s.id,
      }),
    );
  box.append(ul);
}
async function loadBronze() {
  const { rows } = await api('/api/bronze', { label: $('#bronze-label').value });
  const body = $('#bronze tbody');
  body.textContent = '';
  for (const r of rows) {
    const tr = el('tr');
    tr.append(
      el('td', r.text),
      el('td', list(r.labels)),
      el('td', r.nearestText ?? '—'),
      el('td', r.of ?? '—'),
      el('td', r.cosine === null || r.cosine === undefined ? '—' : Number(r.cosine).toFixed(3)),
    );
    body.append(tr);
  }
}
const f3 = (x) => (typeof x === 'number' ? x.toFixed(3) : '—');
async function loadFidelity() {
  const { fidelity: f } = await api('/api/fidelity');
  const box = $('#fidelity');
  box.textContent = '';
  $('#fidelity-note').textContent = f
    ? `Usable silver and bronze rows against gold (${f.encoder} embeddings; definitions: docs/looking-at-data.md).`
    : 'This run has no eval/fidelity.json (measured after the merge).';
  if (!f) return;
  for (const [set, s] of Object.entries(f.sets)) {
    box.append(
      el(
        'h3',
        `${set}: ${s.rows} usable rows — JS divergence vs gold ${f3(s.jsDivergence)} bits (distance ${f3(s.jsDistance)})`,
      ),
    );
    const t = el('table', undefined, { 'data-set': set });
    const head = el('tr');
    for (const h of [
      'label',
      'sentences',
      'distinct-1',
      'distinct-2',
      'self-similarity',
      'nearest gold (median)',
      'nearest corpus (median)',
      'tokens (gold)',
      'negated (gold)',
    ])
      head.append(el('th', h));
    t.append(head);
    for (const [label, g] of [['all', s.overall], ...Object.entries(s.perLabel)]) {
      if (!g.sentences) continue;
      const gold = label === 'all' ? f.gold.overall : f.gold.perLabel[label];
      const tr = el('tr');
      tr.append(
        el('th', label),
        el('td', g.sentences),
        el('td', f3(g.distinct1)),
        el('td', f3(g.distinct2)),
        el('td', f3(g.selfSimilarity)),
        el('td', f3(g.nearestGold?.p50)),
        el('td', f3(g.nearestCorpus?.p50)),
        el('td', `${g.meanTokens.toFixed(1)} (${gold ? gold.meanTokens.toFixed(1) : '—'})`),
        el('td', `${(100 * g.negationShare).toFixed(0)}% (${gold ? (100 * gold.negationShare).toFixed(0) : '—'}%)`),
      );
      t.append(tr);
    }
    box.append(t);
    if (s.memorisationRisk.length) {
      box.append(
        el(
          'p',
          `memorisation risk: ${s.memorisationRisk.length} sentence(s) at cosine ≥ ${f.leakageThreshold} to a real sentence`,
          { class: 'flag' },
        ),
      );
      const ul = el('ul', undefined, { id: 'memorisation' });
      for (const m of s.memorisationRisk)
        ul.append(el('li', `${m.text} ≈ ${m.nearestText} (${m.of}, ${f3(m.cosine)})`));
      box.append(ul);
    }
  }
}
async function start() {
  const meta = await api('/api/meta');
  $('#experiment').textContent = meta.experiment;
  if (!state.variant) {
    options($('#variant'), meta.variants, false);
    $('#variant-box').hidden = meta.variants.length < 2;
    state.variant = meta.variants[0];
  }
  const f = $('#filters');
  for (const [facet, name] of [
    ['source', 'source'],
    ['split', 'split'],
    ['reviewReason', 'reviewReason'],
    ['promptVersion', 'promptVersion'],
  ]) {
    const s = f.elements[name];
    s.length = 1;
    options(
      s,
      (meta.facets[facet] ?? []).map((x) => ({ value: x.value, label: `${x.value} (${x.n})` })),
    );
  }
  options(f.elements.label, meta.labels, false);
  options($('#bronze-label'), [...meta.labels, 'none']);
  state.offset = 0;
  await Promise.all([loadRows(), loadConfusion(), loadBronze(), loadFidelity()]);
}
$('#filters').addEventListener('input', () => ((state.offset = 0), loadRows()));
$('#filters').addEventListener('submit', (e) => e.preventDefault());
$('#prev').addEventListener('click', () => ((state.offset = Math.max(0, state.offset - state.limit)), loadRows()));
$('#next').addEventListener('click', () => ((state.offset += state.limit), loadRows()));
for (const th of document.querySelectorAll('th[data-sort]'))
  th.addEventListener('click', () => {
    state.desc = state.sort === th.dataset.sort ? !state.desc : false;
    state.sort = th.dataset.sort;
    loadRows();
  });
$('#variant').addEventListener('change', (e) => ((state.variant = e.target.value), start()));
$('#bronze-label').addEventListener('change', loadBronze);
for (const b of document.querySelectorAll('nav button'))
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('nav button')) x.classList.toggle('on', x === b);
    for (const t of ['rows', 'confusion', 'bronze', 'fidelity']) $(`#tab-${t}`).hidden = t !== b.dataset.tab;
  });
start().catch((e) => document.body.prepend(el('p', `error: ${e.message}`, { class: 'flag', id: 'error' })));
