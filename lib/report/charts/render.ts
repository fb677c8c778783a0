// Renders a Vega-Lite spec to static, self-contained SVG in Node (no canvas, no network): the report's one chart engine.
import { compile, type Config, type TopLevelSpec } from 'vega-lite';
import { loader, logger, parse, View, Warn, type Loader } from 'vega';
import { escapeHtml, html, trusted } from '../../run/html.js';
import { COLORS, FONT } from '../theme.js';

export type { TopLevelSpec };

/** Labels wider than this (estimated; there is no canvas to measure text) end in an ellipsis. */
export const LABEL_LIMIT = 320;

const BASE_CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    labelColor: COLORS.ink,
    titleColor: COLORS.ink,
    domainColor: COLORS.axis,
    tickColor: COLORS.axis,
    gridColor: COLORS.grid,
    labelLimit: LABEL_LIMIT,
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelColor: COLORS.ink,
    titleColor: COLORS.ink,
    labelLimit: LABEL_LIMIT,
  },
  title: { fontSize: 11, fontWeight: 'normal', color: COLORS.muted, anchor: 'start' },
};

/** Every load refused: the specs carry their data inline, so a chart can never reach a file or the network. */
const NO_IO: Loader = (() => {
  const l = loader();
  const refuse = async (): Promise<never> => {
    throw new Error('report charts load nothing: data must be inline');
  };
  l.load = refuse;
  l.sanitize = refuse;
  l.http = refuse;
  l.file = refuse;
  return l;
})();

/**
 * Vega numbers its clip paths and gradients with module-wide counters, so the same chart gets other ids on a
 * second render and two charts on one page can collide. Renumber them per chart, in order of appearance, under
 * the chart's id. Only tags are rewritten: Vega escapes `<` and `>` in text and attribute values, so `<…>` is a tag.
 */
function renumberIds(svg: string, chartId: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/<[^>]*>/g)) {
    for (const a of m[0].matchAll(/\sid="([^"]*)"/g)) {
      if (!ids.has(a[1]!)) ids.set(a[1]!, `${chartId}-d${ids.size + 1}`);
    }
  }
  if (!ids.size) return svg;
  return svg.replace(/<[^>]*>/g, (tag) =>
    tag
      .replace(/(\sid=")([^"]*)"/g, (all, pre: string, id: string) =>
        ids.has(id) ? `${pre}${escapeHtml(ids.get(id)!)}"` : all,
      )
      .replace(/url\(#([^)]*)\)/g, (all, id: string) => (ids.has(id) ? `url(#${escapeHtml(ids.get(id)!)})` : all))
      .replace(/(href=")#([^"]*)"/g, (all, pre: string, id: string) =>
        ids.has(id) ? `${pre}#${escapeHtml(ids.get(id)!)}"` : all,
      ),
  );
}

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string: `id`, `class="chart"`, `role="img"` and `aria-label` on
 * the root, scaling down to its container (`max-width:100%;height:auto`). The same input gives the same string.
 */
export async function renderSvg(spec: TopLevelSpec, opts: { id: string; ariaLabel: string }): Promise<string> {
  // Warnings stay quiet; an error, or a refused load (which Vega only warns about), fails the render.
  const problems: string[] = [];
  const log = logger(Warn, undefined, (method, _level, args) => {
    const text = args.map(String).join(' ');
    if (method === 'error' || text.startsWith('Loading failed')) problems.push(text);
  });
  const vg = compile(spec, { config: BASE_CONFIG, logger: log }).spec;
  const view = new View(parse(vg), { renderer: 'none', loader: NO_IO, logger: log });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (problems.length) throw new Error(`renderSvg(${opts.id}): ${problems.join('; ')}`);
  const open = /^<svg\b([^>]*)>/.exec(svg);
  if (!open) throw new Error('renderSvg: Vega did not return an <svg> element');
  const kept = open[1]!.replace(/\s(?:id|class|role|aria-label|style)="[^"]*"/g, '');
  const root = html`<svg id="${opts.id}" class="chart" role="img" aria-label="${opts.ariaLabel}" style="max-width:100%;height:auto"${trusted(kept)}>`;
  return root.value + renumberIds(svg.slice(open[0].length), opts.id);
}
