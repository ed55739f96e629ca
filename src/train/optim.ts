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
    this.params.forEach((p, k) => {
      const [w, m, v, g] = [p.value.data, this.m[k]!, this.v[k]!, p.grad?.data];
      for (let i = 0; i < w.length; i++) {
        const gi = g ? g[i]! : 0;
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * gi;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * gi * gi;
        w[i] = w[i]! * (1 - this.lr * this.weightDecay) - (this.lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + this.eps);
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
  for (const p of params) if (p.grad) for (const g of p.grad.data) ss += g * g;
  const norm = Math.sqrt(ss);
  if (norm > maxNorm) {
    const s = maxNorm / norm;
    for (const p of params) if (p.grad) for (let i = 0; i < p.grad.size; i++) p.grad.data[i] *= s;
  }
  return norm;
}

/** Linear warmup to peak over `warmup` steps, then cosine decay to `minRatio`·peak at `total`. */
export function warmupCosine(step: number, peak: number, warmup: number, total: number, minRatio = 0.1): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
