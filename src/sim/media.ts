import { deflateSync } from 'node:zlib';
import gifenc from 'gifenc';
import type { RgbImage } from './render.js';

/** Image output: PNG (8-bit RGB, one IDAT, no filtering), animated GIF, filmstrip. */

const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG chunk: length, type, data, CRC of type + data. */
function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function encodePng(img: RgbImage): Buffer {
  if (img.data.length !== img.width * img.height * 3) throw new Error(`encodePng: ${img.width}x${img.height} RGB needs ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(img.width, 0);
  header.writeUInt32BE(img.height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // color type RGB
  const stride = img.width * 3;
  const raw = Buffer.alloc((stride + 1) * img.height); // each row: filter byte 0, then the pixels
  for (let y = 0; y < img.height; y++) raw.set(img.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(raw, { level: 9 })), pngChunk('IEND', new Uint8Array(0))]);
}

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
