// Every workflow the worker registers (the bundle's entry point).
export { experimentWorkflow } from './experiment.js';
export { studyWorkflow } from './study.js';
