// The report's Vega-Lite charts render to static, deterministic, escaped SVG with the ids the report embeds.
import { describe, it, expect } from 'vitest';
import {
  ciText,
  f1BarSpec,
  f1BarSvg,
  ciLevel,
  forestPlotSpec,
  forestPlotSvg,
  labelHeatmapSpec,
  labelHeatmapSvg,
  learningCurveSpec,
  learningCurveSvg,
  pText,
  renderSvg,
  type CurvePoint,
  type F1Bars,
  type ForestRow,
  type HeatCell,
} from '../../lib/report/charts.js';

const XSS = '<script>alert(1)</script>';

const FOREST: ForestRow[] = [
  { mix: 'gold+silver', delta: 0.031, lo: -0.004, hi: 0.066, p: 0.09, baseline: 'gold' },
  { mix: 'gold+silver+bronze', delta: 0.052, lo: 0.012, hi: 0.094, p: 0.004, baseline: 'gold' },
  { mix: 'silver', delta: -0.081, lo: -0.13, hi: -0.035, p: 0.0004, baseline: 'gold' },
];

const CURVE: CurvePoint[] = ['gold+silver', 'gold+bronze'].flatMap((mix, k) =>
  [0, 0.25, 0.5, 1].map((share) => ({
    mix,
    share,
    n: Math.round(share * 800),
    mean: 0.6 + share * 0.08 - k * 0.02,
    sd: 0.015,
  })),
);

const BARS: F1Bars[] = [
  { mix: 'gold', macro: { mean: 0.612, sd: 0.02 }, micro: { mean: 0.724, sd: 0.01 } },
  { mix: 'gold+silver', macro: { mean: 0.641, sd: 0.03 }, micro: { mean: 0.743, sd: 0.015 } },
  { mix: 'gold+silver+bronze', macro: { mean: 0.663, sd: 0 }, micro: { mean: 0.751, sd: 0.01 } },
];

/** Every F1 is distinct, so a printed cell value names its cell. */
const HEAT: HeatCell[] = [
  { label: 'memory impairment', mix: 'gold', f1: 0.81, support: 40 },
  {
    label: 'memory impairment',
    mix: 'gold+silver',
    f1: 0.84,
    support: 40,
    delta: { value: 0.03, lo: -0.01, hi: 0.07 },
  },
  { label: 'wandering', mix: 'gold', f1: 0.42, support: 3 },
  { label: 'wandering', mix: 'gold+silver', f1: 0.58, support: 3, delta: { value: 0.16, lo: 0.02, hi: 0.3 } },
  { label: 'aggression', mix: 'gold', f1: 0.5, support: 12 },
  { label: 'aggression', mix: 'gold+silver', f1: 0.4, support: 12, delta: { value: -0.1, lo: -0.2, hi: -0.01 } },
  { label: 'apathy', mix: 'gold', f1: 0.66, support: 9 },
  // The CI touches 0 but does not exclude it.
  { label: 'apathy', mix: 'gold+silver', f1: 0.71, support: 9, delta: { value: 0.05, lo: 0, hi: 0.1 } },
];

/** The text content of every <text> element (tspans joined by a space), entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) =>
    m[1]!
      .replace(/<\/tspan><tspan[^>]*>/g, ' ')
      .replace(/<[^>]*>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

function expectChart(svg: string, id: string, ariaLabel: RegExp): void {
  expect(svg.startsWith('<svg ')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const root = /^<svg\b[^>]*>/.exec(svg)![0];
  expect(root).toContain(`id="${id}"`);
  expect(root).toContain('class="chart"');
  expect(root).toContain('role="img"');
  expect(root).toMatch(/style="max-width:100%;height:auto"/);
  expect(root).toMatch(/viewBox="0 0 \d+(\.\d+)? \d+(\.\d+)?"/);
  expect(/aria-label="([^"]*)"/.exec(root)![1]).toMatch(ariaLabel);
  expect(svg.match(/<svg\b/g)).toHaveLength(1);
  // Balanced tags (a cheap well-formedness check): every opened element is closed.
  const tags = svg.match(/<\/?[a-zA-Z][^>]*>/g) ?? [];
  const opened = tags.filter((t) => !t.startsWith('</') && !t.endsWith('/>')).length;
  const closed = tags.filter((t) => t.startsWith('</')).length;
  expect(opened).toBe(closed);
  expect(svg).not.toMatch(/<script|<foreignObject|https?:\/\/(?!www\.w3\.org\/)/i);
}

describe('number text', () => {
  it('prints signed deltas with a true minus and p-values compactly', () => {
    expect(ciText(0.031, -0.004, 0.066)).toBe('+0.031 [−0.004, +0.066]');
    expect(ciText(-0.0001, -0.0004, 0)).toBe('−0.000 [−0.000, +0.000]'); // below 0, however little, keeps its sign
    expect(pText(0.09)).toBe('p = 0.09');
    expect(pText(0.0123)).toBe('p = 0.012');
    expect(pText(0.27)).toBe('p = 0.27');
    expect(pText(0.0004)).toBe('p < 0.001');
    expect(pText(Number.NaN)).toBe('p = n/a');
  });
});

describe('forest plot', () => {
  it('renders one row per mix with its printed CI and p, the zero line and the axis title', async () => {
    const svg = await forestPlotSvg(FOREST);
    expectChart(svg, 'forest-plot', /forest plot/i);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['gold+silver', 'gold+silver+bronze', 'silver']));
    expect(t).toContain('+0.031 [−0.004, +0.066], p = 0.09');
    expect(t).toContain('+0.052 [+0.012, +0.094], p = 0.004');
    expect(t).toContain('−0.081 [−0.130, −0.035], p < 0.001');
    expect(t).toContain('Δ macro-F1 vs gold (95% CI)');
    expect(t).toContain('0');
    // CIs that exclude 0 are printed bold; the one that includes 0 is not.
    expect(svg).toMatch(/font-weight="bold"[^>]*>\+0\.052 \[/);
    expect(svg).toMatch(/>−0\.081 \[/);
    expect(svg).not.toMatch(/font-weight="bold"[^>]*>\+0\.031 \[/);
    // Colour and marker: two diamonds in the "excludes 0" colours, one grey circle.
    expect(svg).toContain('fill="#2e7d4f"');
    expect(svg).toContain('fill="#b3322f"');
    expect(t).toEqual(expect.arrayContaining(['better: 95% CI above 0', 'worse: 95% CI below 0', '95% CI includes 0']));
  });

  it('adds the Holm-adjusted p and names each baseline when they differ', async () => {
    const svg = await forestPlotSvg(
      [
        { ...FOREST[0]!, pHolm: 0.18 },
        { mix: 'silver', delta: 0.01, lo: -0.02, hi: 0.04, p: 0.5, pHolm: 1, baseline: 'gold+silver' },
      ],
      { metric: 'micro-F1' },
    );
    const t = texts(svg);
    expect(t).toContain('+0.031 [−0.004, +0.066], p = 0.09 (Holm p = 0.18)');
    expect(t).toContain('+0.010 [−0.020, +0.040], p = 0.50 (Holm p = 1.00)');
    expect(t).toEqual(
      expect.arrayContaining(['gold+silver vs gold', 'silver vs gold+silver', 'Δ micro-F1 vs baseline (95% CI)']),
    );
  });

  it('says 90% wherever a CI is named when evaluate.alpha is 0.1', async () => {
    const svg = await forestPlotSvg(FOREST, { alpha: 0.1 });
    const t = texts(svg);
    expect(t).toContain('Δ macro-F1 vs gold (90% CI)');
    expect(t).toEqual(expect.arrayContaining(['better: 90% CI above 0', 'worse: 90% CI below 0', '90% CI includes 0']));
    expect(svg).toContain('with 90% confidence intervals');
    expect(svg).not.toContain('95%');
    expect(ciLevel(0.1)).toBe('90%');
    expect(ciLevel(0.05)).toBe('95%');
    expect(ciLevel(0.025)).toBe('97.5%');
  });

  it('builds an inspectable layered spec with the x title', () => {
    const spec = forestPlotSpec(FOREST) as { layer: { mark: { type: string } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['rule', 'point', 'rule', 'text', 'text']);
    expect(JSON.stringify(spec)).toContain('Δ macro-F1 vs gold (95% CI)');
  });
});

describe('learning curves', () => {
  it('renders a line, points and ±sd bars per mix over the share, as percent', async () => {
    const svg = await learningCurveSvg(CURVE, 'synthetic');
    expectChart(svg, 'curve-synthetic', /learning curve/i);
    const t = texts(svg);
    expect(t).toEqual(
      expect.arrayContaining(['gold+silver', 'gold+bronze', 'share of synthetic rows', '0%', '50%', '100%']),
    );
    expect(t).toContain('macro-F1 (mean ± sd over seeds)');
    // One line per mix.
    expect((svg.match(/<g class="mark-line role-mark[^>]*><path d="M[^"]+"/g) ?? []).length).toBe(2);
    // Each point describes itself (share, rows, mean ± sd) for assistive tools.
    expect(svg).toContain('aria-label="gold+silver, 50% (400 rows): macro-F1 0.640 ± 0.015"');
  });

  it('titles the gold curve by note share', async () => {
    const svg = await learningCurveSvg(CURVE.slice(0, 4), 'gold');
    expectChart(svg, 'curve-gold', /gold training rows/);
    expect(texts(svg)).toContain('share of gold training rows (by note)');
    const spec = learningCurveSpec(CURVE, 'gold') as { layer: { mark: { type: string } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['errorbar', 'line', 'point']);
  });
});

describe('F1 bars', () => {
  it('renders macro and micro bars per mix with printed means and whiskers where sd > 0', async () => {
    const svg = await f1BarSvg(BARS);
    expectChart(svg, 'f1-chart', /Macro- and micro-F1 per training mix/);
    const t = texts(svg);
    // Mix names are split before each '+', one part per line.
    expect(t).toEqual(expect.arrayContaining(['gold', 'gold +silver', 'gold +silver +bronze', 'macro-F1', 'micro-F1']));
    expect(t).toEqual(expect.arrayContaining(['0.61', '0.72', '0.64', '0.74', '0.66', '0.75']));
    expect(t).toContain('F1 on the gold test set');
    expect(svg).toContain('aria-label="gold+silver: macro-F1 0.641 ± 0.030"');
    expect((svg.match(/aria-roledescription="bar"/g) ?? []).length).toBe(6);
    expect(JSON.stringify(f1BarSpec(BARS))).toContain('goldMacro');
  });
});

describe('label heatmap', () => {
  it('prints F1 in every cell and marks exactly the cells whose Δ CI excludes 0', async () => {
    const svg = await labelHeatmapSvg(HEAT);
    expectChart(svg, 'label-heatmap', /Per-label F1/);
    const t = texts(svg);
    expect(t).toEqual(
      expect.arrayContaining(['memory impairment', 'wandering (n=3)', 'aggression', 'apathy', 'gold', 'gold +silver']),
    );
    const cells = t.filter((s) => /^(\d\.\d\d|—)( [▲▼])?$/.test(s));
    expect([...cells].sort()).toEqual(['0.40 ▼', '0.42', '0.50', '0.58 ▲', '0.66', '0.71', '0.81', '0.84']);
    // Marked cells are bold and outlined; the legend note explains the mark.
    expect(svg).toMatch(/font-weight="bold"[^>]*>0\.58 ▲</);
    expect(svg).toMatch(/font-weight="bold"[^>]*>0\.40 ▼</);
    expect(svg).not.toMatch(/font-weight="bold"[^>]*>0\.71</);
    expect(t.some((s) => s.includes('▲ / ▼: the 95% CI of Δ F1 vs gold lies above / below 0'))).toBe(true);
    expect(t.some((s) => s.includes('fewer than 5 gold test sentences'))).toBe(true);
    expect(svg).toContain('(95% CI excludes 0)');
    expect((svg.match(/\(95% CI excludes 0\)/g) ?? []).length).toBe(2);
  });

  it('names the (1 − alpha) level of evaluate.alpha: 90% at alpha 0.1', async () => {
    const svg = await labelHeatmapSvg(HEAT, { alpha: 0.1 });
    const t = texts(svg);
    expect(t.some((s) => s.includes('▲ / ▼: the 90% CI of Δ F1 vs gold lies above / below 0'))).toBe(true);
    expect((svg.match(/\(90% CI excludes 0\)/g) ?? []).length).toBe(2);
    expect(svg).not.toContain('95%');
  });

  it('shows a dash for a label without gold test support', async () => {
    const spec = labelHeatmapSpec([{ label: 'rare', mix: 'gold', f1: 0, support: 0 }]);
    const svg = await renderSvg(spec, { id: 'h', ariaLabel: 'h' });
    expect(texts(svg)).toEqual(expect.arrayContaining(['rare (n=0)', '—']));
  });
});

describe('all charts', () => {
  it('render the same string for the same input, whatever was rendered before', async () => {
    const heat1 = await labelHeatmapSvg(HEAT);
    const bars1 = await f1BarSvg(BARS);
    await forestPlotSvg(FOREST);
    await learningCurveSvg(CURVE, 'gold');
    expect(await f1BarSvg(BARS)).toBe(bars1);
    expect(await labelHeatmapSvg(HEAT)).toBe(heat1);
  });

  it('keep their internal ids unique on one page', async () => {
    const page = [
      await forestPlotSvg(FOREST),
      await learningCurveSvg(CURVE, 'synthetic'),
      await learningCurveSvg(CURVE, 'gold'),
      await f1BarSvg(BARS),
      await labelHeatmapSvg(HEAT),
    ].join('\n');
    const ids = [...page.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of page.matchAll(/url\(#([^)]*)\)/g)) expect(ids).toContain(m[1]);
  });

  it('escape label and mix names from user files', async () => {
    const svgs = [
      await forestPlotSvg([{ mix: XSS, delta: 0.02, lo: 0.01, hi: 0.03, p: 0.01, baseline: `"gold' & <b>` }]),
      await learningCurveSvg([{ mix: XSS, share: 0.5, n: 10, mean: 0.5, sd: 0.01 }], 'synthetic'),
      await f1BarSvg([{ mix: XSS, macro: { mean: 0.5, sd: 0.1 }, micro: { mean: 0.6, sd: 0.1 } }]),
      await labelHeatmapSvg([
        { label: XSS, mix: `x" onload="alert(1)`, f1: 0.5, support: 9, delta: { value: 0.1, lo: 0.05, hi: 0.2 } },
      ]),
      await renderSvg(forestPlotSpec(FOREST), { id: 'a"b', ariaLabel: `<x> & "y"` }),
    ];
    for (const svg of svgs) {
      expect(svg).not.toMatch(/<script|<b>|<x>/i);
      // A quote in a name stays inside its text or attribute value: no tag gains an attribute.
      for (const tag of svg.match(/<[^>]*>/g) ?? []) expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\sonload=/i);
    }
    expect(svgs[0]).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(texts(svgs[3]!)).toContain(XSS);
    expect(svgs[4]).toMatch(/^<svg id="a&#34;b" class="chart" role="img" aria-label="&#60;x&#62; &#38; &#34;y&#34;"/);
  });

  it('say "no data" in a small valid SVG when there is nothing to chart', async () => {
    const empty = [
      [await forestPlotSvg([]), 'forest-plot'],
      [await learningCurveSvg([], 'synthetic'), 'curve-synthetic'],
      [await learningCurveSvg([], 'gold'), 'curve-gold'],
      [await f1BarSvg([]), 'f1-chart'],
      [await labelHeatmapSvg([]), 'label-heatmap'],
    ] as const;
    for (const [svg, id] of empty) {
      expectChart(svg, id, /./);
      expect(texts(svg).join(' ')).toMatch(/^no data/);
      expect(svg.length).toBeLessThan(2000);
    }
  });

  it('survive non-finite numbers without throwing', async () => {
    const svg = await forestPlotSvg([
      { mix: 'x', delta: Number.NaN, lo: Number.NaN, hi: Number.NaN, p: Number.NaN, baseline: 'gold' },
    ]);
    expect(texts(svg)).toContain('n/a [n/a, n/a], p = n/a');
    await expect(
      f1BarSvg([
        { mix: 'x', macro: { mean: Number.NaN, sd: Number.NaN }, micro: { mean: 0.5, sd: Number.POSITIVE_INFINITY } },
      ]),
    ).resolves.toMatch(/^<svg /);
    await expect(learningCurveSvg([{ mix: 'x', share: 0.5, n: 1, mean: Number.NaN, sd: 0 }], 'gold')).resolves.toMatch(
      /^<svg /,
    );
  });

  it('load nothing from outside the spec', async () => {
    await expect(
      renderSvg(
        {
          data: { url: 'https://example.com/data.json' },
          mark: 'point',
          encoding: { x: { field: 'a', type: 'quantitative' } },
        },
        { id: 'x', ariaLabel: 'x' },
      ),
    ).rejects.toThrow(/Loading failed/);
  });

  it('renders the same chart again, warm, byte for byte', async () => {
    const first = await forestPlotSvg(FOREST);
    expect(await forestPlotSvg(FOREST)).toBe(first);
  });
});
