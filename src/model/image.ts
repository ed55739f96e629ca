import { resample, Tensor, type ResampleTaps } from '../ops/index.js';

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
 * Resampling filters, as TensorFlow's `tf.image.resize(..., antialias=True)` defines them: a kernel
 * of `radius` input pixels, stretched by the downscale factor so each output pixel averages all the
 * input it covers. 'lanczos3' is what OpenVLA resizes LIBERO frames (and its training data) with;
 * 'triangle' is antialiased bilinear.
 */
export type ResizeFilter = 'lanczos3' | 'triangle';
const FILTERS: Record<ResizeFilter, { radius: number; kernel: (x: number) => number }> = {
  triangle: { radius: 1, kernel: (x) => Math.max(0, 1 - Math.abs(x)) },
  lanczos3: {
    radius: 3,
    kernel: (x) => {
      const a = Math.abs(x);
      if (a >= 3) return 0;
      if (a < 1e-3) return 1;
      return (3 * Math.sin(Math.PI * a) * Math.sin((Math.PI * a) / 3)) / (Math.PI * Math.PI * a * a);
    },
  },
};

/**
 * The taps of one axis resampled from n to m samples: output sample j is centered at input coordinate
 * (j + 0.5)·n/m (pixel i at i + 0.5) and weighs the `taps` inputs from first[j] on, its kernel weights
 * normalized to sum to 1 (zero outside the kernel's reach; windows near an edge are shifted inside).
 */
function resampleTaps(n: number, m: number, filter: ResizeFilter): ResampleTaps {
  const { radius, kernel } = FILTERS[filter];
  const scale = n / m;
  const stretch = Math.max(1, scale);
  const range = (j: number) => {
    const center = (j + 0.5) * scale;
    return { center, lo: Math.max(0, Math.floor(center - radius * stretch)), hi: Math.min(n, Math.ceil(center + radius * stretch)) };
  };
  let taps = 0;
  for (let j = 0; j < m; j++) taps = Math.max(taps, range(j).hi - range(j).lo);
  const first = new Int32Array(m);
  const weights = new Float32Array(m * taps);
  for (let j = 0; j < m; j++) {
    const { center, lo, hi } = range(j);
    first[j] = Math.min(lo, n - taps);
    const w = Array.from({ length: hi - lo }, (_, i) => kernel((lo + i + 0.5 - center) / stretch));
    const total = w.reduce((s, x) => s + x, 0);
    w.forEach((x, i) => (weights[j * taps + lo - first[j]! + i] = x / total));
  }
  return { first, weights, taps };
}

const tapsCache = new Map<string, ResampleTaps>();

function cachedTaps(n: number, m: number, filter: ResizeFilter): ResampleTaps {
  const key = `${n} ${m} ${filter}`;
  let t = tapsCache.get(key);
  if (!t) tapsCache.set(key, (t = resampleTaps(n, m, filter)));
  return t;
}

/** Resizes with antialiasing (separable; rounded and clipped to 8 bits at the end). */
export function resize(img: RgbImage, width: number, height: number, filter: ResizeFilter = 'lanczos3'): RgbImage {
  if (img.width === width && img.height === height) return img;
  const src = new Tensor(new Float32Array(img.data), [img.height, img.width, 3]);
  // Along the rows (width changes), then down the columns (height changes).
  const v = resample(resample(src, 1, cachedTaps(img.width, width, filter)), 0, cachedTaps(img.height, height, filter)).data;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(v[i]!)));
  return { width, height, data };
}

/**
 * OpenVLA's evaluation crop: the central box of `area` of the image (sides scaled by sqrt(area)),
 * sampled back to the original size as `tf.image.crop_and_resize` does (bilinear, box corners on
 * pixel centers, no antialiasing), then converted to 8 bits as `convert_image_dtype` does.
 */
export function centerCrop(img: RgbImage, area: number): RgbImage {
  const side = Math.sqrt(area);
  const lo = (1 - side) / 2;
  const { width: W, height: H } = img;
  // crop_and_resize samples output pixel k of n at input lo·(size - 1) + k·side·(size - 1)/(n - 1);
  // the output keeps the input's size (n = size), so that is lo·(size - 1) + k·side.
  const sample = (k: number, size: number) => lo * (size - 1) + k * side;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const fy = sample(y, H);
    const y0 = Math.floor(fy);
    const y1 = Math.min(H - 1, y0 + 1);
    const dy = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = sample(x, W);
      const x0 = Math.floor(fx);
      const x1 = Math.min(W - 1, x0 + 1);
      const dx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => img.data[(yy * W + xx) * 3 + c]! / 255;
        const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * dx;
        const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * dx;
        const v = Math.min(1, Math.max(0, top + (bottom - top) * dy));
        // convert_image_dtype(float -> uint8) scales by 255.5 and truncates.
        data[(y * W + x) * 3 + c] = Math.min(255, Math.floor(v * 255.5));
      }
    }
  }
  return { width: W, height: H, data };
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
