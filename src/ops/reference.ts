import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './dtype.js';
import type { Kernels } from './kernels.js';

/**
 * The plain-TypeScript kernels: the specification every fast path is tested against, and the
 * fallback when the native addon is not built. Accumulations run in float64 (JS numbers).
 */
export const referenceKernels: Kernels = {
  name: 'reference',

  matmul(a, b, c, M, N, K, transB) {
    const acc = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      const ai = i * K;
      if (transB) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[ai + k]! * b[j * K + k]!;
          acc[j] = s;
        }
      } else {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const aik = a[ai + k]!;
          const bk = k * N;
          for (let j = 0; j < N; j++) acc[j] += aik * b[bk + j]!;
        }
      }
      for (let j = 0; j < N; j++) c[i * N + j] = acc[j]!;
    }
  },

  matmulBf16(a, b, c, M, N, K) {
    const w = new Float32Array(b.length);
    referenceKernels.bf16ToF32(b, w);
    const bits = new Uint16Array(M * K);
    referenceKernels.f32ToBf16(a.subarray(0, M * K), bits);
    const x = new Float32Array(M * K);
    referenceKernels.bf16ToF32(bits, x);
    referenceKernels.matmul(x, w, c, M, N, K, true);
  },
  fastBf16: false,

  packPanels(b, N, K) {
    const out = new Float32Array(Math.ceil(N / 16) * 16 * K);
    for (let n = 0; n < N; n++) {
      const base = (n >> 4) * K * 16 + (n & 15);
      for (let k = 0; k < K; k++) out[base + k * 16] = b[n * K + k]!;
    }
    return out;
  },

  matmulPanels(a, panels, c, M, N, K) {
    for (let i = 0; i < M; i++) {
      for (let n = 0; n < N; n++) {
        const base = (n >> 4) * K * 16 + (n & 15);
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * K + k]! * panels[base + k * 16]!;
        c[i * N + n] = s;
      }
    }
  },
  fastPanels: false,

  resample(src, out, lines, lineIn, lineOut, stepIn, stepOut, first, weights, taps) {
    for (let line = 0; line < lines; line++) {
      for (let j = 0; j < first.length; j++) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        for (let k = 0, p = line * lineIn + first[j]! * stepIn; k < taps; k++, p += stepIn) {
          const w = weights[j * taps + k]!;
          s0 += w * src[p]!;
          s1 += w * src[p + 1]!;
          s2 += w * src[p + 2]!;
        }
        const q = line * lineOut + j * stepOut;
        out[q] = s0;
        out[q + 1] = s1;
        out[q + 2] = s2;
      }
    }
  },

  matmulTransA(a, b, c, M, N, K) {
    const acc = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const aki = a[k * M + i]!;
        for (let j = 0; j < N; j++) acc[j] += aki * b[k * N + j]!;
      }
      for (let j = 0; j < N; j++) c[i * N + j] = acc[j]!;
    }
  },

  add(a, b, out) {
    const n = b.length;
    for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i % n]!;
  },

  mul(a, b, out) {
    const n = b.length;
    for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i % n]!;
  },

  scale(a, s, out) {
    for (let i = 0; i < a.length; i++) out[i] = a[i]! * s;
  },

  rmsNorm(x, w, out, rows, cols, eps) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const inv = rmsInv(x, o, cols, eps);
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! * inv * w[j]!;
    }
  },

  layerNorm(x, w, b, out, rows, cols, eps) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const [mean, inv] = meanInv(x, o, cols, eps);
      for (let j = 0; j < cols; j++) out[o + j] = (x[o + j]! - mean) * inv * w[j]! + b[j]!;
    }
  },

  rope(x, positions, out, T, nHeads, headDim, theta) {
    const half = headDim / 2;
    const width = nHeads * headDim;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < half; i++) {
        const angle = positions[t]! * theta ** ((-2 * i) / headDim);
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        for (let h = 0; h < nHeads; h++) {
          const p = t * width + h * headDim + i;
          const x1 = x[p]!;
          const x2 = x[p + half]!;
          out[p] = x1 * cos - x2 * sin;
          out[p + half] = x2 * cos + x1 * sin;
        }
      }
    }
  },

  silu(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = siluOf(x[i]!);
  },

  swiglu(gate, up, out) {
    for (let i = 0; i < gate.length; i++) out[i] = Math.fround(siluOf(gate[i]!)) * up[i]!;
  },

  geluTanh(x, out) {
    const c = Math.sqrt(2 / Math.PI);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      // 0.5·v·(1 + tanh(u)) = v·sigmoid(2u); this form keeps its precision for v << 0.
      out[i] = v / (1 + Math.exp(-2 * c * (v + 0.044715 * v * v * v)));
    }
  },

  geluErf(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = 0.5 * x[i]! * erfc(-x[i]! / Math.SQRT2);
  },

  rmsNormGrad(x, w, g, dx, dw, rows, n, eps) {
    const acc = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      const inv = rmsInv(x, o, n, eps);
      let dot = 0; // Σ g·w·x
      for (let j = 0; j < n; j++) {
        dot += g[o + j]! * w[j]! * x[o + j]!;
        acc[j] += g[o + j]! * x[o + j]! * inv;
      }
      const c = (inv * inv * inv * dot) / n;
      for (let j = 0; j < n; j++) dx[o + j] = g[o + j]! * w[j]! * inv - x[o + j]! * c;
    }
    dw.set(acc);
  },

  layerNormGrad(x, w, g, dx, dw, db, rows, n, eps) {
    const accW = new Float64Array(n);
    const accB = new Float64Array(n);
    const xhat = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      const [mean, inv] = meanInv(x, o, n, eps);
      let sumG = 0; // Σ g·w
      let sumGX = 0; // Σ g·w·x̂
      for (let j = 0; j < n; j++) {
        xhat[j] = (x[o + j]! - mean) * inv;
        const gw = g[o + j]! * w[j]!;
        sumG += gw;
        sumGX += gw * xhat[j]!;
        accW[j] += g[o + j]! * xhat[j]!;
        accB[j] += g[o + j]!;
      }
      for (let j = 0; j < n; j++) dx[o + j] = inv * (g[o + j]! * w[j]! - sumG / n - (xhat[j]! * sumGX) / n);
    }
    dw.set(accW);
    db.set(accB);
  },

  siluGrad(x, g, out) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const s = 1 / (1 + Math.exp(-v));
      out[i] = g[i]! * s * (1 + v * (1 - s));
    }
  },

  geluTanhGrad(x, g, out) {
    const c = Math.sqrt(2 / Math.PI);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      // With s = sigmoid(2u): 0.5·(1 + tanh u) = s and 1 - tanh² u = 4s(1 - s), free of cancellation for v << 0.
      const s = 1 / (1 + Math.exp(-2 * c * (v + 0.044715 * v * v * v)));
      out[i] = g[i]! * (s + 2 * v * s * (1 - s) * c * (1 + 3 * 0.044715 * v * v));
    }
  },

  geluErfGrad(x, g, out) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = g[i]! * (0.5 * erfc(-v / Math.SQRT2) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI));
    }
  },

  softmax(x, out, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) max = Math.max(max, x[o + j]!);
      if (max === -Infinity) {
        out.fill(0, o, o + cols);
        continue;
      }
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j]! - max);
      for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j]! - max) / sum;
    }
  },

  attention(q, k, v, mask, out, T, S, nHeads, nKvHeads, headDim) {
    const kvWidth = nKvHeads * headDim;
    const p = new Float64Array(S);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < nHeads; h++) {
        const qo = (t * nHeads + h) * headDim;
        const kvo = Math.floor(h / (nHeads / nKvHeads)) * headDim;
        const live = attentionWeights(q, k, mask, p, qo, kvo, t, S, kvWidth, headDim);
        for (let d = 0; d < headDim; d++) {
          let acc = 0;
          if (live) for (let s = 0; s < S; s++) acc += p[s]! * v[s * kvWidth + kvo + d]!;
          out[qo + d] = acc;
        }
      }
    }
  },

  attentionGrad(q, k, v, mask, g, dq, dk, dv, T, S, nHeads, nKvHeads, headDim) {
    const kvWidth = nKvHeads * headDim;
    const scale = 1 / Math.sqrt(headDim);
    const p = new Float64Array(S);
    const dp = new Float64Array(S);
    dq.fill(0);
    dk.fill(0);
    dv.fill(0);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < nHeads; h++) {
        const qo = (t * nHeads + h) * headDim;
        const kvo = Math.floor(h / (nHeads / nKvHeads)) * headDim;
        // A fully masked row outputs zeros whatever q, k, v are.
        if (!attentionWeights(q, k, mask, p, qo, kvo, t, S, kvWidth, headDim)) continue;
        // dv += pᵀ·g; dp = g·vᵀ; the softmax's backward ds = p ⊙ (dp - p·dp); dq = ds·k·scale; dk += dsᵀ·q·scale.
        let pdp = 0;
        for (let s = 0; s < S; s++) {
          let dot = 0;
          for (let d = 0; d < headDim; d++) {
            dv[s * kvWidth + kvo + d] += p[s]! * g[qo + d]!;
            dot += g[qo + d]! * v[s * kvWidth + kvo + d]!;
          }
          dp[s] = dot;
          pdp += p[s]! * dot;
        }
        for (let s = 0; s < S; s++) {
          const ds = p[s]! * (dp[s]! - pdp) * scale;
          for (let d = 0; d < headDim; d++) {
            dq[qo + d] += ds * k[s * kvWidth + kvo + d]!;
            dk[s * kvWidth + kvo + d] += ds * q[qo + d]!;
          }
        }
      }
    }
  },

  embedding(table, ids, out, dim) {
    for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i]! * dim, (ids[i]! + 1) * dim), i * dim);
  },

  argmax(x, rows, cols, out) {
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < cols; j++) if (x[r * cols + j]! > x[r * cols + best]!) best = j;
      out[r] = best;
    }
  },

  topK(x, k, outIndices, outValues) {
    const order = Array.from(x.keys()).sort((i, j) => x[j]! - x[i]! || i - j);
    for (let i = 0; i < k; i++) {
      outIndices[i] = order[i]!;
      outValues[i] = x[order[i]!]!;
    }
  },

  bf16ToF32(src, out) {
    for (let i = 0; i < src.length; i++) out[i] = bf16BitsToF32(src[i]!);
  },
  f16ToF32(src, out) {
    for (let i = 0; i < src.length; i++) out[i] = f16BitsToF32(src[i]!);
  },
  f32ToBf16(src, out) {
    for (let i = 0; i < src.length; i++) out[i] = f32ToBf16Bits(src[i]!);
  },
  f32ToF16(src, out) {
    for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]!);
  },
};

/** 1 / RMS of the row x[o, o + n) with eps: rmsNorm's scale (forward and backward share it). */
function rmsInv(x: Float32Array, o: number, n: number, eps: number): number {
  let ss = 0;
  for (let j = 0; j < n; j++) ss += x[o + j]! * x[o + j]!;
  return 1 / Math.sqrt(ss / n + eps);
}

/** Mean and 1 / std of the row x[o, o + n) with eps: layerNorm's statistics. */
function meanInv(x: Float32Array, o: number, n: number, eps: number): [number, number] {
  let mean = 0;
  for (let j = 0; j < n; j++) mean += x[o + j]!;
  mean /= n;
  let v = 0;
  for (let j = 0; j < n; j++) v += (x[o + j]! - mean) ** 2;
  return [mean, 1 / Math.sqrt(v / n + eps)];
}

/**
 * Complementary error function with relative error below 1.2e-7 everywhere (a Chebyshev fit of
 * erfc(z)·exp(z²)); JavaScript has no Math.erf. Used as erfc so GELU keeps its precision for x << 0.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
    t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/**
 * The attention weights of one query row and head: p[S] = softmax(q·kᵀ/√headDim + mask row t), the
 * query at q[qo..], its (grouped-query) kv head's keys at k[s·kvWidth + kvo..]. Returns false, p
 * untouched, for a fully masked row.
 */
function attentionWeights(q: Float32Array, k: Float32Array, mask: Float32Array | null, p: Float64Array, qo: number, kvo: number, t: number, S: number, kvWidth: number, headDim: number): boolean {
  const scale = 1 / Math.sqrt(headDim);
  let max = -Infinity;
  for (let s = 0; s < S; s++) {
    let dot = 0;
    for (let d = 0; d < headDim; d++) dot += q[qo + d]! * k[s * kvWidth + kvo + d]!;
    const score = dot * scale + (mask ? mask[t * S + s]! : 0);
    max = Math.max(max, score);
    p[s] = score;
  }
  if (max === -Infinity) return false;
  let sum = 0;
  for (let s = 0; s < S; s++) sum += (p[s] = Math.exp(p[s]! - max));
  for (let s = 0; s < S; s++) p[s] = p[s]! / sum;
  return true;
}

/** v / (1 + e^-v) in float64: silu, and swiglu's gate. */
function siluOf(v: number): number {
  return v / (1 + Math.exp(-v));
}
