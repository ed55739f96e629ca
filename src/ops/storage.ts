import { kernels } from './backend.js';
import { Tensor, shapeSize } from './tensor.js';

/** Decodes 16-bit storage (bf16 or f16 bit patterns) into a float32 tensor. */
export function decode16(bits: Uint16Array, dtype: 'F16' | 'BF16', shape: readonly number[]): Tensor {
  if (bits.length !== shapeSize(shape)) throw new Error(`decode16: ${bits.length} values for shape [${shape.join(', ')}]`);
  const out = new Float32Array(bits.length);
  if (dtype === 'BF16') kernels().bf16ToF32(bits, out);
  else kernels().f16ToF32(bits, out);
  return new Tensor(out, shape);
}

/** Encodes a float32 tensor into 16-bit storage, rounding to nearest even. */
export function encode16(t: Tensor, dtype: 'F16' | 'BF16'): Uint16Array {
  const out = new Uint16Array(t.size);
  if (dtype === 'BF16') kernels().f32ToBf16(t.data, out);
  else kernels().f32ToF16(t.data, out);
  return out;
}

/**
 * Channel-wise symmetric int8, the layout int8 checkpoints use for linear weights: each row (the
 * first axis, an output channel) gets one scale, its largest magnitude / 127, so every value comes
 * back within half a step of its row's scale.
 */
export function quantizeRowsInt8(t: Tensor): { values: Int8Array; scales: Float32Array } {
  const rows = t.shape[0] ?? 1;
  const cols = rows === 0 ? 0 : t.size / rows;
  const values = new Int8Array(t.size);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(t.data[r * cols + c]!));
    const scale = Math.fround(max / 127);
    scales[r] = scale;
    if (scale === 0) continue;
    for (let c = 0; c < cols; c++) values[r * cols + c] = Math.max(-127, Math.min(127, Math.round(t.data[r * cols + c]! / scale)));
  }
  return { values, scales };
}

/** The float32 tensor that row-scaled int8 `values` stand for. */
export function dequantizeRowsInt8(values: Int8Array, scales: Float32Array, shape: readonly number[]): Tensor {
  if (values.length !== shapeSize(shape)) throw new Error(`dequantizeRowsInt8: ${values.length} values for shape [${shape.join(', ')}]`);
  const rows = shape[0] ?? 1;
  if (scales.length !== rows) throw new Error(`dequantizeRowsInt8: ${scales.length} scales for ${rows} rows`);
  const cols = rows === 0 ? 0 : values.length / rows;
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const s = scales[r]!;
    for (let c = 0; c < cols; c++) out[r * cols + c] = values[r * cols + c]! * s;
  }
  return new Tensor(out, shape);
}
