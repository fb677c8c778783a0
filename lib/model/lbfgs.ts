// L-BFGS (two-loop recursion, Armijo backtracking) as a generator, so that many problems can step in lockstep.

export interface LbfgsOptions {
  maxIter?: number;
  memory?: number;
  /** Converged when max |gradient| ≤ gtol. */
  gtol?: number;
  /** Or when the objective changes by ≤ ftol · max(1, |f|) in one iteration. */
  ftol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

/** What the caller answers for a point the generator yields: the objective and its gradient there. */
export interface Evaluated {
  f: number;
  g: Float64Array;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}
const maxAbs = (v: Float64Array) => v.reduce((s, a) => Math.max(s, Math.abs(a)), 0);

/**
 * The minimisation as a generator: it yields every point it needs evaluated (x0 first) and is resumed with that
 * point's objective and gradient (`next({ f, g })`); it returns the result. The same steps whoever evaluates.
 */
export function* lbfgsSteps(
  x0: Float64Array,
  opts: LbfgsOptions = {},
): Generator<Float64Array, LbfgsResult, Evaluated> {
  const maxIter = opts.maxIter ?? 1000;
  const m = opts.memory ?? 10;
  const gtol = opts.gtol ?? 1e-6;
  const ftol = opts.ftol ?? 1e-12;
  const p = x0.length;
  let x = x0.slice();
  const first = yield x;
  let f = first.f;
  let g = first.g.slice();
  const S: Float64Array[] = [];
  const Yv: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(p);
  const alpha = new Float64Array(m);
  let it = 0;
  for (; it < maxIter; it++) {
    if (maxAbs(g) <= gtol) return { x, f, iterations: it, converged: true };
    // direction = −H·g
    dir.set(g);
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(S[j]!, dir);
      axpy(-alpha[j]!, Yv[j]!, dir);
    }
    let gamma: number;
    if (S.length) gamma = dot(S[S.length - 1]!, Yv[Yv.length - 1]!) / dot(Yv[Yv.length - 1]!, Yv[Yv.length - 1]!);
    else gamma = 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let k = 0; k < p; k++) dir[k]! *= gamma;
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j]! * dot(Yv[j]!, dir);
      axpy(alpha[j]! - beta, S[j]!, dir);
    }
    for (let k = 0; k < p; k++) dir[k] = -dir[k]!;
    let slope = dot(g, dir);
    if (slope >= 0) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Yv.length = rho.length = 0;
      for (let k = 0; k < p; k++) dir[k] = -g[k]! / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    let step = 1;
    let xn = new Float64Array(p);
    let gn = new Float64Array(p);
    let fn = Infinity;
    for (let ls = 0; ls < 50; ls++) {
      xn = new Float64Array(p);
      for (let k = 0; k < p; k++) xn[k] = x[k]! + step * dir[k]!;
      const e = yield xn;
      fn = e.f;
      gn = e.g.slice();
      if (fn <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fn <= f)) return { x, f, iterations: it, converged: false }; // line search failed: at numerical precision
    const s = new Float64Array(p);
    const yv = new Float64Array(p);
    for (let k = 0; k < p; k++) {
      s[k] = xn[k]! - x[k]!;
      yv[k] = gn[k]! - g[k]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Yv.shift();
        rho.shift();
      }
      S.push(s);
      Yv.push(yv);
      rho.push(1 / sy);
    }
    const fOld = f;
    x = xn;
    g = gn;
    f = fn;
    if (Math.abs(fOld - f) <= ftol * Math.max(1, Math.abs(f))) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: it, converged: maxAbs(g) <= gtol };
}

/** Minimises one smooth function: `fg(x, g)` returns f(x) and writes ∇f(x) into g. */
export function lbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: LbfgsOptions = {},
): LbfgsResult {
  return lbfgsMany(
    (xs) =>
      xs.map((x) => {
        const g = new Float64Array(x.length);
        return { f: fg(x, g), g };
      }),
    [x0],
    opts,
  )[0]!;
}

/**
 * Minimises several independent functions in lockstep: each round, `evaluate` gets the point every unfinished problem
 * asks for (`which[i]`: the problem's index) and answers them all at once, e.g. from one pass over shared data. Each
 * problem takes exactly the steps it would take alone.
 */
export function lbfgsMany(
  evaluate: (xs: Float64Array[], which: number[]) => Evaluated[],
  x0s: readonly Float64Array[],
  opts: LbfgsOptions = {},
): LbfgsResult[] {
  const runs = x0s.map((x0) => lbfgsSteps(x0, opts));
  const results: (LbfgsResult | undefined)[] = new Array(runs.length);
  const pending: (Float64Array | undefined)[] = runs.map(
    (r) => r.next(undefined as unknown as Evaluated).value as Float64Array,
  );
  for (;;) {
    const which = pending.flatMap((x, i) => (x ? [i] : []));
    if (which.length === 0) break;
    const answers = evaluate(
      which.map((i) => pending[i]!),
      which,
    );
    which.forEach((i, a) => {
      const r = runs[i]!.next(answers[a]!);
      if (r.done) {
        results[i] = r.value;
        pending[i] = undefined;
      } else pending[i] = r.value;
    });
  }
  return results as LbfgsResult[];
}
