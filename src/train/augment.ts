import { resize, type RgbImage } from '../model/index.js';

/**
 * Training-time image augmentation in the spirit of OpenVLA's: a random crop of 80-100% of the
 * area (random position) resized back to the input size, and mild brightness/contrast jitter.
 */
export function augmentImage(img: RgbImage, rand: () => number): RgbImage {
  const area = 0.8 + 0.2 * rand();
  const w = Math.max(1, Math.round(img.width * Math.sqrt(area)));
  const h = Math.max(1, Math.round(img.height * Math.sqrt(area)));
  const x0 = Math.floor(rand() * (img.width - w + 1));
  const y0 = Math.floor(rand() * (img.height - h + 1));
  const crop = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) crop.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  const out = resize({ width: w, height: h, data: crop }, img.width, img.height);
  const brightness = (rand() - 0.5) * 0.2 * 255;
  const contrast = 1 + (rand() - 0.5) * 0.2;
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.max(0, Math.min(255, Math.round((out.data[i]! - 128) * contrast + 128 + brightness)));
  return out;
}
