import type { Var } from '../ops/index.js';

/** AdamW hyper-parameters (decoupled weight decay, as in PyTorch's torch.optim.AdamW). */
export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * AdamW over a fixed list of parameters. Its moments are plain Float32Arrays so that a checkpoint
 * can save and restore them (`state()` / `load()`), which makes a resumed run continue exactly.
 */
export class AdamW {
  readonly params: Var[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;
  step = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(params: Var[], opts: AdamWOptions) {
    this.params = params;
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.m = params.map((p) => new Float32Array(p.value.size));
    this.v = params.map((p) => new Float32Array(p.value.size));
  }

  /** One update from the gradients in each param's `grad` (missing grads count as zero); then clears them. */
  update(): void {
    this.step++;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    // Constants hoisted into locals: this loop runs over every parameter each step (15 M in the
    // default model), and property loads inside it made it a fifth of a training step.
    const [b1, b2, eps] = [this.beta1, this.beta2, this.eps];
    const decay = 1 - this.lr * this.weightDecay;
    const stepSize = this.lr / bc1;
    const invBc2 = 1 / bc2;
    this.params.forEach((p, k) => {
      const [w, m, v] = [p.value.data, this.m[k]!, this.v[k]!];
      const g = p.grad?.data ?? new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i]! * decay - (stepSize * mi) / (Math.sqrt(vi * invBc2) + eps);
      }
      p.grad = null;
    });
  }

  /** The moments, for a checkpoint. */
  state(): { step: number; m: Float32Array[]; v: Float32Array[] } {
    return { step: this.step, m: this.m, v: this.v };
  }

  load(state: { step: number; m: Float32Array[]; v: Float32Array[] }): void {
    if (state.m.length !== this.m.length || state.m.some((a, i) => a.length !== this.m[i]!.length)) {
      throw new Error('AdamW.load: optimizer state does not match the parameters');
    }
    this.step = state.step;
    state.m.forEach((a, i) => this.m[i]!.set(a));
    state.v.forEach((a, i) => this.v[i]!.set(a));
  }
}

/** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Var[], maxNorm: number): number {
  let ss = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(ss);
  if (norm > maxNorm) {
    const s = maxNorm / norm;
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * s;
    }
  }
  return norm;
}

/** Linear warmup to peak over `warmup` steps, then cosine decay to `minRatio`·peak at `total`. */
export function warmupCosine(step: number, peak: number, warmup: number, total: number, minRatio = 0.1): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
