/**
 * The closed set of array kernels every model in spec-vla is built from. Two implementations exist:
 * `referenceKernels` (plain TypeScript: the spec) and the OpenBLAS Node-API addon (`nativeKernels`).
 * Kernels take raw buffers plus explicit sizes and write into `out`; shape checks live one level up,
 * in ops.ts. All matrices are row-major.
 */
export interface Kernels {
  readonly name: 'reference' | 'native';

  /** c[M,N] = a[M,K] · b, where b is [K,N], or [N,K] when transB (i.e. a · bᵀ, the `x @ Wᵀ` of a linear layer). */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, transB: boolean): void;

  /**
   * c[M,N] = bf16(a)[M,K] · bᵀ with b [N,K] given as bf16 bits: each value of a rounded to bf16 (nearest
   * even), the products accumulated in f32. A linear layer's rows that every decoder computes alike
   * (a ViT's patches, the prompt) run here: they are compute-bound, and bf16 doubles the multiply rate.
   */
  matmulBf16(a: Float32Array, b: Uint16Array, c: Float32Array, M: number, N: number, K: number): void;
  /** Whether matmulBf16 runs on bf16 dot-product instructions (AVX512_BF16); if not, it is slower than matmul. */
  readonly fastBf16: boolean;

  /**
   * A weight b [N,K] rearranged for matmulPanels, in a new buffer: panel p holds columns 16p..16p+15
   * k-major, out[(p·K + k)·16 + j] = b[(16p + j)·K + k], zero past N (ceil(N/16)·16·K values).
   */
  packPanels(b: Float32Array, N: number, K: number): Float32Array;
  /**
   * c[M,N] = a[M,K] · bᵀ with b given as packPanels made it. For a few rows (a verify tree, a draft
   * round): the kernel keeps one output vector per accumulator, where the [N,K] layout needs a
   * horizontal sum per output. Each output sums k in order, so a row's result does not depend on M.
   */
  matmulPanels(a: Float32Array, panels: Float32Array, c: Float32Array, M: number, N: number, K: number): void;
  /** Whether matmulPanels beats matmul on 1..256 rows (the native kernel); if not, linear keeps matmul. */
  readonly fastPanels: boolean;

  /**
   * One axis of a separable resampling of 3-channel pixels: for each of `lines` lines and each output
   * sample j < first.length, out[line·lineOut + j·stepOut + c] = Σ_k weights[j·taps + k] ·
   * src[line·lineIn + (first[j] + k)·stepIn + c], c = 0, 1, 2 (an image resize is two of these).
   */
  resample(src: Float32Array, out: Float32Array, lines: number, lineIn: number, lineOut: number, stepIn: number, stepOut: number, first: Int32Array, weights: Float32Array, taps: number): void;

  /** c[M,N] = aᵀ · b with a [K,M] and b [K,N]: weight gradients (dW = dYᵀ·X) without a transpose copy. */
  matmulTransA(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number): void;

  /** out = a + b, with b repeated along a when shorter (b.length must divide a.length: a row bias). */
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out = a * b elementwise, with the same broadcasting as add. */
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out = a * s. */
  scale(a: Float32Array, s: number, out: Float32Array): void;

  /** Per row: x / sqrt(mean(x²) + eps) * w. */
  rmsNorm(x: Float32Array, w: Float32Array, out: Float32Array, rows: number, cols: number, eps: number): void;
  /** Per row: (x - mean) / sqrt(var + eps) * w + b. */
  layerNorm(x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array, rows: number, cols: number, eps: number): void;
  /** rmsNorm's backward: dx [rows, cols] and dw [cols] (both overwritten) from x, w and the output gradient g. */
  rmsNormGrad(x: Float32Array, w: Float32Array, g: Float32Array, dx: Float32Array, dw: Float32Array, rows: number, cols: number, eps: number): void;
  /** layerNorm's backward: dx, dw and db (all overwritten). */
  layerNormGrad(x: Float32Array, w: Float32Array, g: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array, rows: number, cols: number, eps: number): void;

  /**
   * Rotary embedding, Llama/HF "rotate half" convention: within each head the pair is (i, i + headDim/2),
   * angle = position · theta^(-2i/headDim). x is [T, nHeads·headDim].
   */
  rope(x: Float32Array, positions: Int32Array, out: Float32Array, T: number, nHeads: number, headDim: number, theta: number): void;

  silu(x: Float32Array, out: Float32Array): void;
  /** SwiGLU's gate: out = silu(gate) · up, each product rounded as silu followed by mul would round it. */
  swiglu(gate: Float32Array, up: Float32Array, out: Float32Array): void;
  /** GELU with the tanh approximation (gelu_pytorch_tanh). */
  geluTanh(x: Float32Array, out: Float32Array): void;
  /** Exact GELU, 0.5·x·erfc(-x/√2). */
  geluErf(x: Float32Array, out: Float32Array): void;
  /** The activations' backward passes: out = g · f'(x), elementwise (the training hot path). */
  siluGrad(x: Float32Array, g: Float32Array, out: Float32Array): void;
  geluTanhGrad(x: Float32Array, g: Float32Array, out: Float32Array): void;
  geluErfGrad(x: Float32Array, g: Float32Array, out: Float32Array): void;

  /** Row softmax; a row that is entirely -Infinity gives zeros, never NaN. */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;

  /**
   * out[T, nHeads·headDim] = softmax(q kᵀ / √headDim + mask) v per head; q is [T, nHeads·headDim],
   * k and v are [S, nKvHeads·headDim] (grouped-query: head h reads kv head h / (nHeads / nKvHeads)),
   * mask is an additive [T, S] matrix or null for none. Fully masked rows give zeros.
   */
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    mask: Float32Array | null,
    out: Float32Array,
    T: number,
    S: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
  ): void;

  /**
   * attention's backward: dq, dk, dv (overwritten, shaped like q, k, v) from the output gradient g
   * [T, nHeads·headDim], recomputing the attention weights (cheaper than keeping them per layer).
   * Kv heads shared by a group of query heads collect the group's gradients.
   */
  attentionGrad(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    mask: Float32Array | null,
    g: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    T: number,
    S: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
  ): void;

  /** out[i] = table[ids[i]] (rows of length dim). Ids are checked by the caller. */
  embedding(table: Float32Array, ids: Int32Array, out: Float32Array, dim: number): void;

  /** Index of the largest value of each row (first one on ties). */
  argmax(x: Float32Array, rows: number, cols: number, out: Int32Array): void;
  /** The k largest values of x, sorted descending (lower index first on ties). */
  topK(x: Float32Array, k: number, outIndices: Int32Array, outValues: Float32Array): void;

  /** Weight storage conversions (round to nearest even; NaN and infinities kept). */
  bf16ToF32(src: Uint16Array, out: Float32Array): void;
  f16ToF32(src: Uint16Array, out: Float32Array): void;
  f32ToBf16(src: Float32Array, out: Uint16Array): void;
  f32ToF16(src: Float32Array, out: Uint16Array): void;
}
