// The report's look in one place: the palette its charts and tables share, the chart font, and the page's CSS.

export const COLORS = {
  macro: '#1f4e79',
  micro: '#8db9e0',
  ink: '#1f2937',
  muted: '#6b7280',
  axis: '#6b7280',
  grid: '#e5e7eb',
  better: '#2e7d4f',
  worse: '#b3322f',
  neutral: '#6b7280',
  empty: '#f3f4f6',
} as const;

/** One colour per training-data source, and per self-check verdict; other keys take OTHER_COLORS in turn. */
export const SOURCE_COLORS: Record<string, string> = {
  gold: '#c99a06',
  silver: '#8a96a3',
  bronze: '#a8592b',
  reviewed: '#2e7d6b',
};
export const VERDICT_COLORS: Record<string, string> = { keep: '#2e7d4f', fix: '#d19a1f', reject: '#b3322f' };
const OTHER_COLORS = ['#5b7fa6', '#7c5ba6', '#4a9a94', '#a65b86'];
export const colorFor = (table: Record<string, string>, key: string, i: number): string =>
  table[key] ?? OTHER_COLORS[i % OTHER_COLORS.length]!;

export const FONT = 'system-ui, sans-serif';

/** The report page's stylesheet (inline: the report loads nothing). */
export const REPORT_CSS = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--accent:#1f4e79;--warn:#b3322f}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
header{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;margin-bottom:18px}
h1{font-size:22px;margin:0 0 4px}h1 .run{color:var(--accent)}
h2{font-size:17px;margin:0 0 10px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 24px;margin:0 0 18px;overflow-x:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:10px 0 0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.kpi{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:170px;background:var(--bg)}
.kpi .k{font-size:12px;color:var(--muted)}.kpi .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}.kpi .s{font-size:12px;color:var(--muted)}
.caveats{border-left:4px solid #d19a1f;background:#fffbeb;padding:8px 14px;margin:14px 0 0;border-radius:4px}
.caveats ul,.headline ul{margin:4px 0;padding-left:18px}
.headline{border-left:4px solid var(--accent);background:#eff6ff;padding:8px 14px;margin:14px 0 0;border-radius:4px}
table{border-collapse:collapse;margin:8px 0}
td,th{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:middle}
thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
table.num td,table.num thead th{text-align:right;font-variant-numeric:tabular-nums}
table.num td.l,table.num th.l,table.num thead th:first-child{text-align:left}
tbody th{font-weight:500}
tr.total th,tr.total td{border-top:2px solid var(--line);font-weight:600}
.warn{color:var(--warn);font-weight:600}
.muted{color:var(--muted)}.note{color:var(--muted);font-size:12.5px;margin:6px 0}
.cost{margin:8px 0 0}
.row{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;background:#eef2f7}
.badge.done{background:#dcfce7;color:#166534}.badge.running{background:#dbeafe;color:#1e40af}.badge.skipped{background:#f3f4f6;color:#6b7280}.badge.pending{background:#fef3c7;color:#92400e}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}
details{margin:6px 0}summary{cursor:pointer;color:var(--accent)}
a{color:var(--accent)}code{background:#f1f5f9;padding:0 4px;border-radius:3px}
footer{color:var(--muted);font-size:12px;text-align:center}
@media print{body{background:#fff}section,header{border:none;padding:8px 0;break-inside:avoid}}`;

/** Sources in the order every table and chart lists them: gold, silver, bronze, reviewed, then any other by name. */
export function orderSources(sources: Iterable<string>): string[] {
  const rank = (s: string) => {
    const i = ['gold', 'silver', 'bronze', 'reviewed'].indexOf(s);
    return i < 0 ? 99 : i;
  };
  return [...new Set(sources)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
