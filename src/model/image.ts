import { Tensor } from '../ops/index.js';

/** An 8-bit RGB image, row-major height × width × 3. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function checkImage(img: RgbImage, where = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new Error(`${where}: invalid size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) throw new Error(`${where}: ${img.data.length} bytes for ${img.width}x${img.height}x3`);
}

/** Rotates by 180 degrees (LIBERO's agent-view camera is upside down). */
export function rotate180(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) out.set(img.data.subarray(i * 3, i * 3 + 3), (n - 1 - i) * 3);
  return { width: img.width, height: img.height, data: out };
}

/**
 * One axis of a separable resampling with a triangle (bilinear) filter whose support widens with the
 * downscale factor: each output pixel averages the input pixels it covers (antialiasing, as PIL does).
 */
function resampleAxis(src: Float32Array, n: number, m: number, stride: number, outStride: number, other: number, otherStrideIn: number, otherStrideOut: number): Float32Array {
  const out = new Float32Array(other * m * 3);
  const scale = n / m;
  const support = Math.max(1, scale);
  for (let j = 0; j < m; j++) {
    const center = (j + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(n, Math.ceil(center + support));
    const weights: number[] = [];
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs((i + 0.5 - center) / support));
      weights.push(w);
      total += w;
    }
    for (let o = 0; o < other; o++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = lo; i < hi; i++) s += weights[i - lo]! * src[o * otherStrideIn + i * stride + c]!;
        out[o * otherStrideOut + j * outStride + c] = s / total;
      }
    }
  }
  return out;
}

/** Resizes with antialiasing (separable triangle filter). */
export function resize(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return img;
  const src = Float32Array.from(img.data);
  // Horizontal pass: rows stay, columns go from img.width to width.
  const h = resampleAxis(src, img.width, width, 3, 3, img.height, img.width * 3, width * 3);
  // Vertical pass: columns stay, rows go from img.height to height.
  const v = resampleAxis(h, img.height, height, width * 3, width * 3, width, 3, 3);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(v[i]!)));
  return { width, height, data };
}

/** Keeps the central `area` fraction of the image (same aspect), resized back to the original size. */
export function centerCrop(img: RgbImage, area: number): RgbImage {
  const s = Math.sqrt(area);
  const w = Math.round(img.width * s);
  const h = Math.round(img.height * s);
  const x0 = Math.floor((img.width - w) / 2);
  const y0 = Math.floor((img.height - h) / 2);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return resize({ width: w, height: h, data }, img.width, img.height);
}

/**
 * Cuts a normalized image into non-overlapping patches, one row per patch in raster order, each row
 * laid out (channel, y, x) to match a patch-embedding convolution weight [width, 3, p, p].
 */
export function patchify(img: RgbImage, patch: number, mean: readonly number[], std: readonly number[]): Tensor {
  if (img.width % patch !== 0 || img.height % patch !== 0) throw new Error(`patchify: ${img.width}x${img.height} is not a multiple of ${patch}`);
  const gx = img.width / patch;
  const gy = img.height / patch;
  const out = Tensor.zeros([gx * gy, 3 * patch * patch]);
  for (let py = 0; py < gy; py++) {
    for (let px = 0; px < gx; px++) {
      const row = (py * gx + px) * 3 * patch * patch;
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < patch; y++) {
          for (let x = 0; x < patch; x++) {
            const v = img.data[((py * patch + y) * img.width + px * patch + x) * 3 + c]! / 255;
            out.data[row + (c * patch + y) * patch + x] = (v - mean[c]!) / std[c]!;
          }
        }
      }
    }
  }
  return out;
}
