import gifenc from 'gifenc';
import type { RgbImage } from '../model/index.js';

/** Episode output: animated GIF and filmstrip (PNG files come from model/png.ts). */

/** Frames of an episode as an animated GIF (one palette from the first frame, looping). */
export function encodeGif(frames: readonly RgbImage[], delayMs = 50): Uint8Array {
  if (frames.length === 0) throw new Error('encodeGif: no frames');
  const { width, height } = frames[0]!;
  const rgba = (img: RgbImage) => {
    const out = new Uint8Array(img.width * img.height * 4);
    for (let i = 0; i < img.width * img.height; i++) {
      out[i * 4] = img.data[i * 3]!;
      out[i * 4 + 1] = img.data[i * 3 + 1]!;
      out[i * 4 + 2] = img.data[i * 3 + 2]!;
      out[i * 4 + 3] = 255;
    }
    return out;
  };
  const palette = gifenc.quantize(rgba(frames[0]!), 256);
  const gif = gifenc.GIFEncoder();
  for (const f of frames) gif.writeFrame(gifenc.applyPalette(rgba(f), palette), width, height, { palette, delay: delayMs });
  gif.finish();
  return gif.bytes();
}

/** Frames side by side in one image (a filmstrip), every `every`-th frame. */
export function filmstrip(frames: readonly RgbImage[], every = 10): RgbImage {
  const picked = frames.filter((_, i) => i % every === 0 || i === frames.length - 1);
  const { width: w, height: h } = picked[0]!;
  const out = new Uint8Array(w * picked.length * h * 3);
  picked.forEach((f, k) => {
    for (let y = 0; y < h; y++) out.set(f.data.subarray(y * w * 3, (y + 1) * w * 3), (y * w * picked.length + k * w) * 3);
  });
  return { width: w * picked.length, height: h, data: out };
}
