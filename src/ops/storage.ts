import { kernels } from './backend.js';
import { Tensor, shapeSize } from './tensor.js';

/** How weights are stored on disk; compute is always float32. */
export type StorageDType = 'F32' | 'F16' | 'BF16';

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
