// MLP head: one hidden ReLU layer, sigmoid outputs, class-weighted BCE, Adam, seeded init and minibatch order.
import { mulberry32, shuffled } from '../run/random.js';
import { sigmoid, type Design } from './design.js';

export interface MlpParams {
  h: number;
  W1: Float64Array; // h × d
  b1: Float64Array;
  W2: Float64Array; // L × h
  b2: Float64Array;
}

function gaussian(rand: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

export function fitMlp(
  D: Design,
  Y: Uint8Array[],
  SW: Float64Array[],
  active: boolean[],
  o: { hidden: number; epochs: number; lr: number; batch: number; l2: number; seed: number },
): MlpParams {
  const { n, d, x } = D;
  const L = Y.length;
  const h = o.hidden;
  const rand = mulberry32(o.seed ^ 0x9e3779b9);
  const gauss = gaussian(rand);
  const W1 = new Float64Array(h * d).map(() => gauss() * Math.sqrt(2 / d));
  const b1 = new Float64Array(h);
  const W2 = new Float64Array(L * h).map(() => gauss() * Math.sqrt(1 / h));
  const b2 = new Float64Array(L);
  const params = [W1, b1, W2, b2];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const grads = params.map((p) => new Float64Array(p.length));
  const [gW1, gb1, gW2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  let t = 0;
  const hid = new Float64Array(h);
  const dh = new Float64Array(h);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = shuffled(idx, rand);
    for (let s = 0; s < n; s += o.batch) {
      const batch = order.slice(s, s + o.batch);
      for (const g of grads) g.fill(0);
      for (const i of batch) {
        const xo = i * d;
        for (let u = 0; u < h; u++) {
          let a = b1[u]!;
          const wo = u * d;
          for (let k = 0; k < d; k++) a += W1[wo + k]! * x[xo + k]!;
          hid[u] = a > 0 ? a : 0;
        }
        dh.fill(0);
        for (let j = 0; j < L; j++) {
          if (!active[j]) continue;
          let z = b2[j]!;
          const wo = j * h;
          for (let u = 0; u < h; u++) z += W2[wo + u]! * hid[u]!;
          const r = (SW[j]![i]! * (sigmoid(z) - Y[j]![i]!)) / batch.length;
          gb2[j]! += r;
          for (let u = 0; u < h; u++) {
            gW2[wo + u]! += r * hid[u]!;
            dh[u]! += r * W2[wo + u]!;
          }
        }
        for (let u = 0; u < h; u++) {
          if (hid[u]! <= 0 || dh[u] === 0) continue;
          const r = dh[u]!;
          gb1[u]! += r;
          const wo = u * d;
          for (let k = 0; k < d; k++) gW1[wo + k]! += r * x[xo + k]!;
        }
      }
      for (let k = 0; k < W1.length; k++) gW1[k]! += o.l2 * W1[k]!;
      for (let k = 0; k < W2.length; k++) gW2[k]! += o.l2 * W2[k]!;
      t++;
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      params.forEach((p, pi) => {
        const g = grads[pi]!;
        const mm = m[pi]!;
        const vv = v[pi]!;
        for (let k = 0; k < p.length; k++) {
          mm[k] = beta1 * mm[k]! + (1 - beta1) * g[k]!;
          vv[k] = beta2 * vv[k]! + (1 - beta2) * g[k]! * g[k]!;
          p[k]! -= (o.lr * (mm[k]! / c1)) / (Math.sqrt(vv[k]! / c2) + eps);
        }
      });
    }
  }
  return { h, W1, b1, W2, b2 };
}
