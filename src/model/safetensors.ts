import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { decode16, dequantizeRowsInt8, encode16, quantizeRowsInt8, Tensor } from '../ops/index.js';

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }`, then the raw
 * little-endian tensor bytes (offsets are relative to the end of the header).
 *
 * Only the header is read when a file is opened. Each tensor is then read with positioned reads
 * straight into its destination: F32 bytes land in the tensor's own Float32Array, F16/BF16 bytes in
 * a scratch array that is decoded once to float32. A shard is never held in memory as a whole, so
 * multi-gigabyte shards (larger than Node's 4 GiB Buffer limit) load with no second copy.
 *
 * I8 is channel-wise int8 (see `quantizeRowsInt8`): an I8 tensor `X` comes with a float tensor
 * `X_scale` of shape [rows, 1] (the names and shapes int8 "compressed" checkpoints use), and reads
 * back as float32 like every other dtype. The scale is not listed as a tensor of its own.
 * Compute is always float32; the dtype is only how weights are stored on disk.
 */
export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16', 'I8'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];
const BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I8: 1 };
const SCALE = '_scale';
/** The format caps the header at 100 MB; anything larger is not a safetensors file. */
const MAX_HEADER = 100_000_000;
/** readSync moves at most 2 GiB per call. */
const MAX_READ = 1 << 30;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly dataStart: number,
    readonly entries: ReadonlyMap<string, HeaderEntry>,
    readonly metadata: Record<string, string>,
    private readonly scales: ReadonlyMap<string, HeaderEntry>,
  ) {}

  /** Reads and checks the header; tensor data stays on disk until asked for. */
  static open(path: string): SafetensorsFile {
    if (!existsSync(path)) throw new Error(`${path}: file not found`);
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < 8) throw new Error(`${path}: not a safetensors file (only ${size} bytes)`);
      const lengthBytes = Buffer.alloc(8);
      readExactly(fd, lengthBytes, 0, path, 'the header length');
      const n = lengthBytes.readBigUInt64LE(0);
      if (n < 2n || n > BigInt(Math.min(MAX_HEADER, size - 8))) {
        throw new Error(`${path}: not a safetensors file, or truncated (header length ${n} for a file of ${size} bytes)`);
      }
      const headerBytes = Buffer.alloc(Number(n));
      readExactly(fd, headerBytes, 8, path, 'the header');
      let header: unknown;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch {
        throw new Error(`${path}: not a safetensors file (header is not JSON)`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${path}: not a safetensors file (header is not a JSON object)`);
      const dataStart = 8 + Number(n);
      const dataLength = size - dataStart;
      const entries = new Map<string, HeaderEntry>();
      let metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = value as Record<string, string>;
          continue;
        }
        const e = value as HeaderEntry;
        const validShape = Array.isArray(e?.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0);
        const validOffsets = Array.isArray(e?.data_offsets) && e.data_offsets.length === 2 && Number.isInteger(e.data_offsets[0]) && e.data_offsets[0] >= 0 && e.data_offsets[1] >= e.data_offsets[0];
        if (typeof e?.dtype !== 'string' || !validShape || !validOffsets) throw new Error(`${path}: tensor ${name} has a malformed header entry`);
        if (e.data_offsets[1] > dataLength) {
          throw new Error(`${path}: tensor ${name} ends at data byte ${e.data_offsets[1]} but the file holds ${dataLength} data bytes (truncated file)`);
        }
        entries.set(name, e);
      }
      const scales = new Map<string, HeaderEntry>();
      for (const [name, e] of entries) {
        if (e.dtype !== 'I8') continue;
        const scale = entries.get(name + SCALE);
        if (!scale) throw new Error(`${path}: tensor ${name} is I8 but its scale ${name + SCALE} is missing`);
        scales.set(name, scale);
        entries.delete(name + SCALE);
      }
      return new SafetensorsFile(path, dataStart, entries, metadata, scales);
    } finally {
      closeSync(fd);
    }
  }

  /** How the file stores its weights: I8 when any tensor is int8, else the first tensor's dtype. */
  get dtype(): SafetensorsDType {
    const dtypes = [...this.entries.values()].map((e) => e.dtype);
    return (dtypes.includes('I8') ? 'I8' : dtypes[0] ?? 'F32') as SafetensorsDType;
  }

  /** The tensor as float32, checked against `expectShape` when given. */
  tensor(name: string, expectShape?: readonly number[]): Tensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.path}: tensor ${name} is missing`);
    if (expectShape && (e.shape.length !== expectShape.length || e.shape.some((d, i) => d !== expectShape[i]))) {
      throw new Error(`${this.path}: tensor ${name} has shape [${e.shape.join(', ')}], expected [${expectShape.join(', ')}]`);
    }
    if (e.dtype !== 'I8') return this.readFloat(name, e);
    const scale = this.scales.get(name)!;
    const rows = e.shape[0] ?? 1;
    if (scale.dtype === 'I8' || scale.shape.reduce((a, b) => a * b, 1) !== rows || scale.shape.some((d, i) => i > 0 && d !== 1)) {
      throw new Error(`${this.path}: ${name + SCALE} is [${scale.shape.join(', ')}] ${scale.dtype}, expected a float [${rows}, 1] (one scale per row of ${name})`);
    }
    const values = new Int8Array(this.bytes(name, e).buffer);
    return dequantizeRowsInt8(values, this.readFloat(name + SCALE, scale).data, e.shape);
  }

  private readFloat(name: string, e: HeaderEntry): Tensor {
    const bytes = this.bytes(name, e);
    // Typed arrays use the host's byte order; every platform Node targets here is little-endian, like the format.
    if (e.dtype === 'F32') return new Tensor(new Float32Array(bytes.buffer), e.shape);
    return decode16(new Uint16Array(bytes.buffer), e.dtype as 'F16' | 'BF16', e.shape);
  }

  /** The tensor's raw bytes, in a fresh buffer aligned for its dtype. */
  private bytes(name: string, e: HeaderEntry): Uint8Array {
    // A list lookup, not `in BYTES`: a header's "constructor" or "toString" is not a dtype.
    if (!(SAFETENSORS_DTYPES as readonly string[]).includes(e.dtype)) throw new Error(`${this.path}: tensor ${name} has dtype ${e.dtype}; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
    const dtype = e.dtype as SafetensorsDType;
    const count = e.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = e.data_offsets;
    if (end - begin !== count * BYTES[dtype]) {
      throw new Error(`${this.path}: tensor ${name} holds ${end - begin} bytes, but [${e.shape.join(', ')}] ${dtype} needs ${count * BYTES[dtype]}`);
    }
    const out = new Uint8Array(count * BYTES[dtype]);
    const fd = openSync(this.path, 'r');
    try {
      readExactly(fd, out, this.dataStart + begin, this.path, `tensor ${name}`);
    } finally {
      closeSync(fd);
    }
    return out;
  }
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string, what: string): void {
  let off = 0;
  while (off < target.length) {
    const n = readSync(fd, target, off, Math.min(target.length - off, MAX_READ), position + off);
    if (n === 0) throw new Error(`${path}: ${what} is cut short at byte ${position + off} (truncated file)`);
    off += n;
  }
}

/**
 * A checkpoint: one `model.safetensors`, or shards listed by `model.safetensors.index.json`
 * (`{ "weight_map": { name: shard file } }`). Each shard's header is read once, when first needed.
 */
export class Checkpoint {
  private readonly files = new Map<string, SafetensorsFile>();

  private constructor(
    readonly dir: string,
    private readonly weightMap: ReadonlyMap<string, string>,
  ) {}

  static open(dir: string): Checkpoint {
    const index = join(dir, 'model.safetensors.index.json');
    if (existsSync(index)) {
      let parsed: { weight_map?: Record<string, string> };
      try {
        parsed = JSON.parse(readFileSync(index, 'utf8')) as typeof parsed;
      } catch (e) {
        throw new Error(`${index}: not valid JSON (${(e as Error).message})`);
      }
      if (typeof parsed?.weight_map !== 'object' || parsed.weight_map === null) throw new Error(`${index}: no weight_map`);
      return new Checkpoint(dir, new Map(Object.entries(parsed.weight_map)));
    }
    const single = join(dir, 'model.safetensors');
    if (!existsSync(single)) throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
    const file = SafetensorsFile.open(single);
    const ckpt = new Checkpoint(dir, new Map([...file.entries.keys()].map((k) => [k, 'model.safetensors'])));
    ckpt.files.set('model.safetensors', file);
    return ckpt;
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  /** A tensor's shape from its shard's header, without reading its data. */
  shape(name: string): readonly number[] | undefined {
    const shard = this.weightMap.get(name);
    return shard === undefined ? undefined : this.file(shard).entries.get(name)?.shape;
  }

  private file(shard: string): SafetensorsFile {
    let file = this.files.get(shard);
    if (!file) {
      file = SafetensorsFile.open(join(this.dir, shard));
      this.files.set(shard, file);
    }
    return file;
  }

  tensor(name: string, expectShape?: readonly number[]): Tensor {
    const shard = this.weightMap.get(name);
    if (!shard) throw new Error(`${this.dir}: tensor ${name} is missing from the checkpoint`);
    return this.file(shard).tensor(name, expectShape);
  }
}

/**
 * Serializes tensors (stored as `dtype`) into safetensors bytes, names sorted, data 8-byte aligned.
 * With I8, matrices (rank 2 and up) are stored channel-wise int8 beside their `_scale`, and vectors
 * (norms, biases: a few kilobytes) stay F32.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, dtype: SafetensorsDType = 'F32', metadata?: Record<string, string>): Buffer {
  const stored = new Map<string, { dtype: SafetensorsDType; shape: readonly number[]; raw: Uint8Array }>();
  const f32 = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  for (const [name, t] of tensors) {
    if (dtype === 'I8' && t.shape.length >= 2) {
      if (tensors.has(name + SCALE)) throw new Error(`encodeSafetensors: ${name + SCALE} would hold the int8 scale of ${name}, but is a tensor of its own`);
      const { values, scales } = quantizeRowsInt8(t);
      stored.set(name, { dtype: 'I8', shape: t.shape, raw: new Uint8Array(values.buffer) });
      stored.set(name + SCALE, { dtype: 'F32', shape: [t.shape[0]!, 1], raw: new Uint8Array(scales.buffer) });
    } else if (dtype === 'F32' || dtype === 'I8') {
      stored.set(name, { dtype: 'F32', shape: t.shape, raw: f32(t) });
    } else {
      stored.set(name, { dtype, shape: t.shape, raw: new Uint8Array(encode16(t, dtype).buffer) });
    }
  }
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const blobs: Uint8Array[] = [];
  let off = 0;
  for (const name of [...stored.keys()].sort()) {
    const { dtype: d, shape, raw } = stored.get(name)!;
    header[name] = { dtype: d, shape: [...shape], data_offsets: [off, off + raw.length] };
    blobs.push(raw);
    off += raw.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), ...blobs]);
}
