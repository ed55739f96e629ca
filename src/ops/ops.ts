import { kernels } from './backend.js';
import { Tensor } from './tensor.js';

/**
 * Tensor-level ops: check shapes, allocate the output, call the active kernels. Every model in
 * spec-vla is written with these functions only.
 */

function fail(op: string, msg: string): never {
  throw new Error(`${op}: ${msg}`);
}

function dims(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** a[..., K] · b[K, N] -> [..., N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (b.rank !== 2 || a.cols !== b.shape[0]) fail('matmul', `cannot multiply ${dims(a)} by ${dims(b)}`);
  const N = b.shape[1]!;
  const out = Tensor.empty([...a.shape.slice(0, -1), N]);
  kernels().matmul(a.data, b.data, out.data, a.rows, N, a.cols, false);
  return out;
}

/** How a linear layer may run: options for inference weights, which never change once used. */
export interface LinearOptions {
  /** The first rows of x multiplied in bf16 (kernels.matmulBf16) against a bf16 copy of w. */
  bf16Rows?: number;
  /** w is an inference weight: 1..256 f32 rows run on matmulPanels against a panel copy of w. */
  frozen?: boolean;
}

/**
 * Rows a product may have to run on kernels.matmulPanels: a decode step (one row: on the default
 * decoder's 256-wide weights twice as fast as OpenBLAS's sgemv, whose per-call cost dominates there),
 * a verify tree, a draft round, and in f32 a prefill or a ViT's patches (whole register tiles of rows,
 * where matmul's packed blocks of 16 or 64 rows carry padding rows on a 36-token prefill). Past 256
 * rows gemm's blocking wins. One kernel for every row count also means a decode step's logits are
 * bit-identical to the same token's row in a verify forward.
 */
const PANEL_ROWS = { min: 1, max: 256 };

/**
 * A linear layer: x[..., K] · w[N, K]ᵀ (+ bias[N]) -> [..., N] (PyTorch's weight layout). The copies
 * that `opts` asks for (bf16, panels) are made on first use and kept while w's buffer lives, so w must
 * not change afterwards: pass them for inference weights only, never for weights being trained.
 */
export function linear(x: Tensor, w: Tensor, bias?: Tensor, opts: LinearOptions = {}): Tensor {
  if (w.rank !== 2 || x.cols !== w.shape[1]) fail('linear', `input ${dims(x)} does not match weight ${dims(w)}`);
  const N = w.shape[0]!;
  const K = x.cols;
  const M = x.rows;
  const out = Tensor.empty([...x.shape.slice(0, -1), N]);
  const low = Math.min(Math.max(opts.bf16Rows ?? 0, 0), M);
  if (low > 0) kernels().matmulBf16(x.data.subarray(0, low * K), bf16Copy(w), out.data.subarray(0, low * N), low, N, K);
  const rows = M - low;
  if (rows > 0) {
    const a = low ? x.data.subarray(low * K) : x.data;
    const c = low ? out.data.subarray(low * N) : out.data;
    if (opts.frozen && rows >= PANEL_ROWS.min && rows <= PANEL_ROWS.max && kernels().fastPanels) kernels().matmulPanels(a, panelCopy(w), c, rows, N, K);
    else kernels().matmul(a, w.data, c, rows, N, K, true);
  }
  if (bias) {
    if (bias.size !== N) fail('linear', `bias ${dims(bias)} does not match ${N} outputs`);
    kernels().add(out.data, bias.data, out.data);
  }
  return out;
}

const bf16Copies = new WeakMap<Float32Array, Uint16Array>();
const panelCopies = new WeakMap<Float32Array, Float32Array>();

/** w's values rounded to bf16 bits (exact for weights loaded from a BF16 checkpoint), made once per weight buffer. */
function bf16Copy(w: Tensor): Uint16Array {
  let bits = bf16Copies.get(w.data);
  if (!bits) {
    bits = new Uint16Array(w.size);
    kernels().f32ToBf16(w.data, bits);
    bf16Copies.set(w.data, bits);
  }
  return bits;
}

/** w [N, K] as kernels.packPanels lays it out, made once per weight buffer. */
function panelCopy(w: Tensor): Float32Array {
  let panels = panelCopies.get(w.data);
  if (!panels) {
    panels = kernels().packPanels(w.data, w.shape[0]!, w.shape[1]!);
    panelCopies.set(w.data, panels);
  }
  return panels;
}

function broadcastCheck(op: string, a: Tensor, b: Tensor): void {
  const suffix = a.shape.slice(a.rank - b.rank);
  if (b.rank > a.rank || suffix.some((d, i) => d !== b.shape[i])) fail(op, `${dims(b)} does not broadcast onto ${dims(a)}`);
}

/** Where each output sample of a resampling reads: `taps` inputs from first[j] on, weighted by weights[j·taps ..]. */
export interface ResampleTaps {
  first: Int32Array;
  weights: Float32Array;
  taps: number;
}

/**
 * Resamples an image x[H, W, 3] along one axis (0: down the rows, 1: along each row) to first.length
 * samples: output sample j = Σ_k weights[j·taps + k] · input sample first[j] + k. A separable image
 * resize is two of these.
 */
export function resample(x: Tensor, axis: 0 | 1, t: ResampleTaps): Tensor {
  if (x.rank !== 3 || x.shape[2] !== 3) fail('resample', `expected an image [H, W, 3], got ${dims(x)}`);
  const [H, W] = x.shape as [number, number, number];
  const n = axis === 0 ? H : W;
  const m = t.first.length;
  if (t.weights.length !== m * t.taps) fail('resample', `${t.weights.length} weights for ${m} samples of ${t.taps} taps`);
  if (t.first.some((f) => f < 0 || f + t.taps > n)) fail('resample', `a tap window reaches past the ${n} input samples`);
  const out = Tensor.empty(axis === 0 ? [m, W, 3] : [H, m, 3]);
  if (axis === 0) kernels().resample(x.data, out.data, W, 3, 3, 3 * W, 3 * W, t.first, t.weights, t.taps);
  else kernels().resample(x.data, out.data, H, 3 * W, 3 * m, 3, 3, t.first, t.weights, t.taps);
  return out;
}

/** a + b, where b's shape is a trailing part of a's (a bias row, or the same shape). */
export function add(a: Tensor, b: Tensor): Tensor {
  broadcastCheck('add', a, b);
  const out = Tensor.empty(a.shape);
  kernels().add(a.data, b.data, out.data);
  return out;
}

/** a * b elementwise, with add's broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  broadcastCheck('mul', a, b);
  const out = Tensor.empty(a.shape);
  kernels().mul(a.data, b.data, out.data);
  return out;
}

export function scale(a: Tensor, s: number): Tensor {
  const out = Tensor.empty(a.shape);
  kernels().scale(a.data, s, out.data);
  return out;
}

export function rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor {
  if (w.size !== x.cols) fail('rmsNorm', `weight ${dims(w)} does not match input ${dims(x)}`);
  const out = Tensor.empty(x.shape);
  kernels().rmsNorm(x.data, w.data, out.data, x.rows, x.cols, eps);
  return out;
}

export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  if (w.size !== x.cols || b.size !== x.cols) fail('layerNorm', `weight ${dims(w)} / bias ${dims(b)} do not match input ${dims(x)}`);
  const out = Tensor.empty(x.shape);
  kernels().layerNorm(x.data, w.data, b.data, out.data, x.rows, x.cols, eps);
  return out;
}

/** Rotary position embedding of x[T, nHeads·headDim] at the given positions (Llama convention). */
export function rope(x: Tensor, positions: Int32Array, headDim: number, theta: number): Tensor {
  if (headDim % 2 !== 0 || x.cols % headDim !== 0) fail('rope', `width ${x.cols} is not a multiple of an even head size ${headDim}`);
  if (positions.length !== x.rows) fail('rope', `${positions.length} positions for ${x.rows} tokens`);
  const out = Tensor.empty(x.shape);
  kernels().rope(x.data, positions, out.data, x.rows, x.cols / headDim, headDim, theta);
  return out;
}

export function silu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  kernels().silu(x.data, out.data);
  return out;
}

/** silu(gate) · up (a Llama MLP's gate) in one pass: the same values as mul(silu(gate), up). */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (gate.size !== up.size || gate.cols !== up.cols) fail('swiglu', `gate ${dims(gate)} and up ${dims(up)} differ`);
  const out = Tensor.empty(gate.shape);
  kernels().swiglu(gate.data, up.data, out.data);
  return out;
}

/** GELU: 'erf' is exact (nn.GELU()), 'tanh' the approximation (gelu_pytorch_tanh). */
export function gelu(x: Tensor, kind: 'erf' | 'tanh' = 'erf'): Tensor {
  const out = Tensor.empty(x.shape);
  if (kind === 'tanh') kernels().geluTanh(x.data, out.data);
  else kernels().geluErf(x.data, out.data);
  return out;
}

/** Softmax over the last axis; all -Infinity rows become zeros. */
export function softmax(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  kernels().softmax(x.data, out.data, x.rows, x.cols);
  return out;
}

export interface AttentionHeads {
  nHeads: number;
  nKvHeads: number;
}

/**
 * Multi-head attention softmax(q kᵀ/√d + mask) v with an explicit additive mask [T, S]
 * (null: every query sees every key). q: [T, nHeads·d]; k, v: [S, nKvHeads·d].
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, heads: AttentionHeads): Tensor {
  const { nHeads, nKvHeads } = heads;
  if (nHeads % nKvHeads !== 0) fail('attention', `${nHeads} heads are not a multiple of ${nKvHeads} kv heads`);
  const headDim = q.cols / nHeads;
  if (!Number.isInteger(headDim)) fail('attention', `q width ${q.cols} is not divisible by ${nHeads} heads`);
  const T = q.rows;
  const S = k.rows;
  if (k.cols !== nKvHeads * headDim || v.cols !== k.cols || v.rows !== S) {
    fail('attention', `k ${dims(k)} / v ${dims(v)} do not fit ${nKvHeads} kv heads of size ${headDim}`);
  }
  if (mask && (mask.rows !== T || mask.cols !== S)) fail('attention', `mask ${dims(mask)} is not [${T}, ${S}]`);
  const out = Tensor.empty(q.shape);
  kernels().attention(q.data, k.data, v.data, mask?.data ?? null, out.data, T, S, nHeads, nKvHeads, headDim);
  return out;
}

/** Rows of table[V, d] for each id -> [ids.length, d]. */
export function embedding(table: Tensor, ids: ArrayLike<number>): Tensor {
  const V = table.shape[0]!;
  const idx = Int32Array.from(ids);
  for (const id of idx) if (id < 0 || id >= V) fail('embedding', `token id ${id} outside vocabulary of ${V}`);
  const out = Tensor.empty([idx.length, table.cols]);
  kernels().embedding(table.data, idx, out.data, table.cols);
  return out;
}

/** Index of the largest value per row. */
export function argmax(x: Tensor): Int32Array {
  const out = new Int32Array(x.rows);
  kernels().argmax(x.data, x.rows, x.cols, out);
  return out;
}

/** The k largest values of a vector, descending (lower index first on ties). */
export function topK(x: Tensor | Float32Array, k: number): { indices: Int32Array; values: Float32Array } {
  const data = x instanceof Tensor ? x.data : x;
  if (!Number.isInteger(k) || k < 0 || k > data.length) fail('topK', `k=${k} for ${data.length} values`);
  const indices = new Int32Array(k);
  const values = new Float32Array(k);
  kernels().topK(data, k, indices, values);
  return { indices, values };
}

/** Rows stacked: [a; b; ...] for tensors of the same width. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const cols = parts[0]?.cols ?? 0;
  if (parts.some((p) => p.cols !== cols)) fail('concatRows', `widths differ: ${parts.map(dims).join(' ')}`);
  const out = Tensor.empty([parts.reduce((n, p) => n + p.rows, 0), cols]);
  let at = 0;
  for (const p of parts) {
    out.data.set(p.data, at);
    at += p.size;
  }
  return out;
}

/** Side by side: [a | b] for tensors with the same number of rows (fusing two feature sets). */
export function concatColumns(a: Tensor, b: Tensor): Tensor {
  if (a.rows !== b.rows) fail('concatColumns', `${dims(a)} and ${dims(b)} differ in rows`);
  const out = Tensor.empty([a.rows, a.cols + b.cols]);
  for (let r = 0; r < a.rows; r++) {
    out.data.set(a.data.subarray(r * a.cols, (r + 1) * a.cols), r * out.cols);
    out.data.set(b.data.subarray(r * b.cols, (r + 1) * b.cols), r * out.cols + a.cols);
  }
  return out;
}
