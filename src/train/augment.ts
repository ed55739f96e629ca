import type { RgbImage } from '../model/index.js';

/** Largest shift (px) of the random translation. */
const MAX_SHIFT = 4;

/**
 * Training-time image augmentation for a fixed camera: a random shift of up to 4 px (edge pixels
 * repeated, as in DrQ) and mild brightness/contrast jitter. No zoom: the policy is evaluated on the
 * uncropped frame, and a random rescale would blur the absolute positions it has to act on.
 */
export function augmentImage(img: RgbImage, rand: () => number): RgbImage {
  const dx = Math.floor(rand() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT;
  const dy = Math.floor(rand() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT;
  const brightness = (rand() - 0.5) * 0.2 * 255;
  const contrast = 1 + (rand() - 0.5) * 0.2;
  const { width: w, height: h } = img;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y + dy));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x + dx));
      for (let c = 0; c < 3; c++) {
        const v = (img.data[(sy * w + sx) * 3 + c]! - 128) * contrast + 128 + brightness;
        out[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { width: w, height: h, data: out };
}
