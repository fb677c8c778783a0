// The report's charts, one Vega-Lite spec per module under charts/, rendered to static SVG by charts/render.ts.
export { renderSvg, type TopLevelSpec } from './charts/render.js';
export { ciLevel, ciText, DEFAULT_ALPHA, pText, signed } from './charts/common.js';
export { forestPlotSpec, forestPlotSvg, type ForestOptions, type ForestRow } from './charts/forest.js';
export { learningCurveSpec, learningCurveSvg, type CurveAxis, type CurvePoint } from './charts/curve.js';
export { f1BarSpec, f1BarSvg, type F1Bars } from './charts/f1-bars.js';
export { labelHeatmapSpec, labelHeatmapSvg, type HeatCell, type HeatmapOptions } from './charts/heatmap.js';
export { compositionSpec, compositionSvg, type CompositionRow } from './charts/composition.js';
export { verdictSpec, verdictSvg, type VerdictRow } from './charts/verdicts.js';
export { studyF1Spec } from './charts/study-f1.js';
