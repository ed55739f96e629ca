import { kernels } from './backend.js';
import * as ops from './ops.js';
import type { AttentionHeads } from './ops.js';
import { Tensor } from './tensor.js';

/**
 * A small reverse-mode autograd over the same ops the models run on. A `Var` holds a value and,
 * after `Tape.backward`, its gradient. Each op computes its forward with ops.ts and records one
 * closure that spreads the output's gradient to its inputs; backward runs them in reverse order.
 * Matrix products in the backward passes go through the kernels too (native when built).
 */
export class Var {
  grad: Tensor | null = null;
  constructor(
    readonly value: Tensor,
    readonly requiresGrad: boolean,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }

  /** A trainable parameter. */
  static param(value: Tensor): Var {
    return new Var(value, true);
  }
}

export class Tape {
  private readonly steps: (() => void)[] = [];

  /** An input that needs no gradient (data, frozen weights). */
  constant(t: Tensor): Var {
    return new Var(t, false);
  }

  /** Runs every recorded backward step from a scalar loss; gradients accumulate into Var.grad. */
  backward(loss: Var): void {
    if (loss.value.size !== 1) throw new Error(`backward: loss must be a scalar, got [${loss.shape.join(', ')}]`);
    loss.grad = Tensor.from([1], loss.shape);
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!();
    this.steps.length = 0;
  }

  private out(value: Tensor, inputs: Var[], back: (g: Tensor) => void): Var {
    const v = new Var(value, inputs.some((x) => x.requiresGrad));
    if (v.requiresGrad) this.steps.push(() => v.grad && back(v.grad));
    return v;
  }

  // ---- linear algebra ----

  /** x[..., K] · w[N, K]ᵀ (+ b[N]). */
  linear(x: Var, w: Var, b?: Var): Var {
    const y = ops.linear(x.value, w.value, b?.value);
    return this.out(y, b ? [x, w, b] : [x, w], (g) => {
      const [R, N, K] = [x.value.rows, w.shape[0]!, w.shape[1]!];
      if (x.requiresGrad) accumulate(x, ops.matmul(g.reshape([R, N]), w.value).reshape(x.shape));
      if (w.requiresGrad) {
        const dw = Tensor.zeros(w.shape);
        kernels().matmulTransA(g.data, x.value.data, dw.data, N, K, R);
        accumulate(w, dw);
      }
      if (b?.requiresGrad) accumulate(b, sumRows(g, N));
    });
  }

  /** a + b, where b's shape is a trailing part of a's. */
  add(a: Var, b: Var): Var {
    return this.out(ops.add(a.value, b.value), [a, b], (g) => {
      accumulate(a, g);
      // Same shape (a residual): b's gradient is g itself, copied because accumulate may add into a's in place.
      if (b.requiresGrad) accumulate(b, (b.value.size === g.size ? g.clone() : sumRows(g, b.value.size)).reshape(b.shape));
    });
  }

  /** a * b elementwise, b broadcast as in add. */
  mul(a: Var, b: Var): Var {
    return this.out(ops.mul(a.value, b.value), [a, b], (g) => {
      if (a.requiresGrad) accumulate(a, ops.mul(g, b.value));
      if (b.requiresGrad) {
        const gb = Tensor.zeros(a.shape);
        kernels().mul(g.data, a.value.data, gb.data);
        accumulate(b, sumRows(gb, b.value.size).reshape(b.shape));
      }
    });
  }

  scale(a: Var, s: number): Var {
    return this.out(ops.scale(a.value, s), [a], (g) => accumulate(a, ops.scale(g, s)));
  }

  // ---- normalization and activations ----

  rmsNorm(x: Var, w: Var, eps: number): Var {
    const y = ops.rmsNorm(x.value, w.value, eps);
    return this.out(y, [x, w], (g) => {
      const dx = Tensor.zeros(x.shape);
      const dw = Tensor.zeros(w.shape);
      kernels().rmsNormGrad(x.value.data, w.value.data, g.data, dx.data, dw.data, x.value.rows, x.value.cols, eps);
      accumulate(x, dx);
      accumulate(w, dw);
    });
  }

  layerNorm(x: Var, w: Var, b: Var, eps: number): Var {
    const y = ops.layerNorm(x.value, w.value, b.value, eps);
    return this.out(y, [x, w, b], (g) => {
      const [dx, dw, db] = [Tensor.zeros(x.shape), Tensor.zeros(w.shape), Tensor.zeros(b.shape)];
      kernels().layerNormGrad(x.value.data, w.value.data, g.data, dx.data, dw.data, db.data, x.value.rows, x.value.cols, eps);
      accumulate(x, dx);
      accumulate(w, dw);
      accumulate(b, db);
    });
  }

  /** Rotary embedding; its gradient is the inverse rotation, i.e. rope at the negated positions. */
  rope(x: Var, positions: Int32Array, headDim: number, theta: number): Var {
    return this.out(ops.rope(x.value, positions, headDim, theta), [x], (g) => {
      accumulate(x, ops.rope(g, positions.map((p) => -p), headDim, theta));
    });
  }

  silu(x: Var): Var {
    return this.out(ops.silu(x.value), [x], (g) => {
      const dx = Tensor.zeros(x.shape);
      kernels().siluGrad(x.value.data, g.data, dx.data);
      accumulate(x, dx);
    });
  }

  gelu(x: Var, kind: 'erf' | 'tanh' = 'erf'): Var {
    return this.out(ops.gelu(x.value, kind), [x], (g) => {
      const dx = Tensor.zeros(x.shape);
      if (kind === 'erf') kernels().geluErfGrad(x.value.data, g.data, dx.data);
      else kernels().geluTanhGrad(x.value.data, g.data, dx.data);
      accumulate(x, dx);
    });
  }

  // ---- attention ----

  /** softmax(q kᵀ/√d + mask) v with an additive mask [T, S], grouped-query heads. */
  attention(q: Var, k: Var, v: Var, mask: Tensor | null, heads: AttentionHeads): Var {
    const y = ops.attention(q.value, k.value, v.value, mask, heads);
    return this.out(y, [q, k, v], (g) => {
      const dq = Tensor.zeros(q.shape);
      const dk = Tensor.zeros(k.shape);
      const dv = Tensor.zeros(v.shape);
      const [T, S] = [q.value.rows, k.value.rows];
      kernels().attentionGrad(q.value.data, k.value.data, v.value.data, mask?.data ?? null, g.data, dq.data, dk.data, dv.data, T, S, heads.nHeads, heads.nKvHeads, q.value.cols / heads.nHeads);
      accumulate(q, dq);
      accumulate(k, dk);
      accumulate(v, dv);
    });
  }

  // ---- lookup and reshaping ----

  embedding(table: Var, ids: ArrayLike<number>): Var {
    const idx = Int32Array.from(ids);
    return this.out(ops.embedding(table.value, idx), [table], (g) => {
      const dt = gradOf(table).data;
      const dim = table.value.cols;
      for (let i = 0; i < idx.length; i++) {
        const row = idx[i]! * dim;
        for (let j = 0; j < dim; j++) dt[row + j] += g.data[i * dim + j]!;
      }
    });
  }

  /** Stacks 2-D vars of the same width along the rows. */
  concatRows(parts: Var[]): Var {
    const cols = parts[0]!.value.cols;
    if (parts.some((p) => p.value.cols !== cols)) throw new Error('concatRows: parts differ in width');
    const rows = parts.reduce((n, p) => n + p.value.rows, 0);
    const y = Tensor.zeros([rows, cols]);
    let at = 0;
    for (const p of parts) {
      y.data.set(p.value.data, at);
      at += p.value.size;
    }
    return this.out(y, parts, (g) => {
      let from = 0;
      for (const p of parts) {
        if (p.requiresGrad) accumulate(p, new Tensor(g.data.slice(from, from + p.value.size), p.shape));
        from += p.value.size;
      }
    });
  }

  /** Entries [start, end) along the first axis (rows of a matrix, elements of a vector). */
  sliceRows(x: Var, start: number, end: number): Var {
    return this.out(x.value.slice(start, end).clone(), [x], (g) => {
      const at = (start * x.value.size) / x.shape[0]!;
      const dx = gradOf(x).data.subarray(at, at + g.size);
      kernels().add(dx, g.data, dx);
    });
  }

  reshape(x: Var, shape: readonly number[]): Var {
    return this.out(x.value.reshape(shape), [x], (g) => accumulate(x, g.reshape(x.shape)));
  }

  // ---- losses (scalars) ----

  /**
   * Mean cross-entropy of logits [T, V] against target ids; a target of -1 is not supervised and
   * the mean is over supervised positions only.
   */
  crossEntropy(logits: Var, targets: Int32Array): Var {
    const [T, V] = [logits.value.rows, logits.value.cols];
    const p = ops.softmax(logits.value);
    let loss = 0;
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (targets[t]! < 0) continue;
      loss -= Math.log(Math.max(p.data[t * V + targets[t]!]!, 1e-30));
      count++;
    }
    const n = Math.max(count, 1);
    return this.out(Tensor.from([loss / n], [1]), [logits], (g) => {
      const d = Tensor.zeros(logits.shape);
      for (let t = 0; t < T; t++) {
        if (targets[t]! < 0) continue;
        for (let j = 0; j < V; j++) d.data[t * V + j] = (p.data[t * V + j]! * g.data[0]!) / n;
        d.data[t * V + targets[t]!] -= g.data[0]! / n;
      }
      accumulate(logits, d);
    });
  }

  /**
   * Mean soft cross-entropy -Σ p·log softmax(logits) against target distributions p [T, V] (each row
   * sums to one), over the rows where `rows[t]` is true (all when omitted).
   */
  softCrossEntropy(logits: Var, target: Tensor, rows?: ArrayLike<boolean>): Var {
    const [T, V] = [logits.value.rows, logits.value.cols];
    const q = ops.softmax(logits.value);
    let loss = 0;
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (rows && !rows[t]) continue;
      for (let j = 0; j < V; j++) {
        const pj = target.data[t * V + j]!;
        if (pj > 0) loss -= pj * Math.log(Math.max(q.data[t * V + j]!, 1e-30));
      }
      count++;
    }
    const n = Math.max(count, 1);
    return this.out(Tensor.from([loss / n], [1]), [logits], (g) => {
      const d = Tensor.zeros(logits.shape);
      for (let t = 0; t < T; t++) {
        if (rows && !rows[t]) continue;
        for (let j = 0; j < V; j++) d.data[t * V + j] = ((q.data[t * V + j]! - target.data[t * V + j]!) * g.data[0]!) / n;
      }
      accumulate(logits, d);
    });
  }

  /** Mean smooth-L1 (Huber, beta 1) between pred and target over the selected rows' elements. */
  smoothL1(pred: Var, target: Tensor, rows?: ArrayLike<boolean>): Var {
    const [T, n] = [pred.value.rows, pred.value.cols];
    let loss = 0;
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (rows && !rows[t]) continue;
      for (let j = 0; j < n; j++) {
        const d = Math.abs(pred.value.data[t * n + j]! - target.data[t * n + j]!);
        loss += d < 1 ? 0.5 * d * d : d - 0.5;
      }
      count += n;
    }
    const m = Math.max(count, 1);
    return this.out(Tensor.from([loss / m], [1]), [pred], (g) => {
      const dx = Tensor.zeros(pred.shape);
      for (let t = 0; t < T; t++) {
        if (rows && !rows[t]) continue;
        for (let j = 0; j < n; j++) {
          const d = pred.value.data[t * n + j]! - target.data[t * n + j]!;
          dx.data[t * n + j] = ((Math.abs(d) < 1 ? d : Math.sign(d)) * g.data[0]!) / m;
        }
      }
      accumulate(pred, dx);
    });
  }

  /** Σ weights_i · x_i over scalars: combines losses. */
  weightedSum(terms: [Var, number][]): Var {
    const total = terms.reduce((s, [v, w]) => s + w * v.value.data[0]!, 0);
    return this.out(Tensor.from([total], [1]), terms.map(([v]) => v), (g) => {
      for (const [v, w] of terms) if (v.requiresGrad) accumulate(v, Tensor.from([w * g.data[0]!], v.shape));
    });
  }

  /** Σ x ⊙ w over all elements, for any shape: projects a tensor to a scalar (tests, probes). */
  dot(x: Var, w: Tensor): Var {
    let s = 0;
    for (let i = 0; i < x.value.size; i++) s += x.value.data[i]! * w.data[i]!;
    return this.out(Tensor.from([s], [1]), [x], (g) => accumulate(x, ops.scale(w.reshape(x.shape), g.data[0]!)));
  }
}

/** v's gradient, created as zeros on first use: for backward steps that add into part of it in place. */
function gradOf(v: Var): Tensor {
  v.grad ??= Tensor.zeros(v.shape);
  return v.grad;
}

function accumulate(v: Var, g: Tensor): void {
  if (!v.requiresGrad) return;
  if (v.grad) kernels().add(v.grad.data, g.data, v.grad.data);
  else v.grad = g.shape.length === v.shape.length ? g : g.reshape(v.shape);
}

/** Sums the rows of g seen as [-, n]: the gradient of a broadcast operand. */
function sumRows(g: Tensor, n: number): Tensor {
  const out = new Float64Array(n);
  const data = g.data;
  for (let r = 0; r < data.length; r += n) for (let j = 0; j < n; j++) out[j] += data[r + j]!;
  return Tensor.from(out, [n]);
}
