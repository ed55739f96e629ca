import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { decode16, encode16, Tensor } from '../ops/index.js';

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }`, then the raw
 * little-endian tensor bytes (offsets are relative to the end of the header). Weights are loaded
 * as float32; F16/BF16 are decoded once, F32 is viewed in place when aligned.
 */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16';
const BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2 };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** One safetensors file, read with a single read of the whole file. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly bytes: Buffer,
    private readonly dataStart: number,
    readonly entries: ReadonlyMap<string, HeaderEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  static read(path: string): SafetensorsFile {
    if (!existsSync(path)) throw new Error(`${path}: file not found`);
    const fd = openSync(path, 'r');
    let bytes: Buffer;
    try {
      const size = fstatSync(fd).size;
      bytes = Buffer.allocUnsafe(size);
      let off = 0;
      while (off < size) {
        const n = readSync(fd, bytes, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
    } finally {
      closeSync(fd);
    }
    return SafetensorsFile.parse(bytes, path);
  }

  static parse(bytes: Buffer, path = '<buffer>'): SafetensorsFile {
    if (bytes.length < 8) throw new Error(`${path}: not a safetensors file (only ${bytes.length} bytes)`);
    const n = bytes.readBigUInt64LE(0);
    if (n > BigInt(bytes.length - 8) || n < 2n) throw new Error(`${path}: not a safetensors file, or truncated (header length ${n} for ${bytes.length} bytes)`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(bytes.toString('utf8', 8, 8 + Number(n))) as Record<string, unknown>;
    } catch {
      throw new Error(`${path}: not a safetensors file (header is not JSON)`);
    }
    const dataStart = 8 + Number(n);
    const dataLength = bytes.length - dataStart;
    const entries = new Map<string, HeaderEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = value as Record<string, string>;
        continue;
      }
      const e = value as HeaderEntry;
      if (!e || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || typeof e.dtype !== 'string') {
        throw new Error(`${path}: tensor ${name} has a malformed header entry`);
      }
      const end = e.data_offsets[1];
      if (end > dataLength) throw new Error(`${path}: tensor ${name} ends at byte ${end} but the file holds ${dataLength} data bytes (truncated file)`);
      entries.set(name, e);
    }
    return new SafetensorsFile(path, bytes, dataStart, entries, metadata);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The tensor as float32, checked against `expectShape` when given. */
  tensor(name: string, expectShape?: readonly number[]): Tensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.path}: tensor ${name} is missing`);
    if (expectShape && (e.shape.length !== expectShape.length || e.shape.some((d, i) => d !== expectShape[i]))) {
      throw new Error(`${this.path}: tensor ${name} has shape [${e.shape.join(', ')}], expected [${expectShape.join(', ')}]`);
    }
    if (!(e.dtype in BYTES)) throw new Error(`${this.path}: tensor ${name} has dtype ${e.dtype}; supported: F32, F16, BF16`);
    const dtype = e.dtype as SafetensorsDType;
    const count = e.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = e.data_offsets;
    if (end - begin !== count * BYTES[dtype]) {
      throw new Error(`${this.path}: tensor ${name} holds ${end - begin} bytes, but [${e.shape.join(', ')}] ${dtype} needs ${count * BYTES[dtype]}`);
    }
    const offset = this.bytes.byteOffset + this.dataStart + begin;
    if (dtype === 'F32') {
      const data = offset % 4 === 0 ? new Float32Array(this.bytes.buffer, offset, count) : new Float32Array(this.bytes.buffer.slice(offset, offset + count * 4));
      return new Tensor(data, e.shape);
    }
    const bits = offset % 2 === 0 ? new Uint16Array(this.bytes.buffer, offset, count) : new Uint16Array(this.bytes.buffer.slice(offset, offset + count * 2));
    return decode16(bits, dtype, e.shape);
  }
}

/**
 * A checkpoint: one `model.safetensors`, or shards listed by `model.safetensors.index.json`
 * (`{ "weight_map": { name: shard file } }`). Shards are read lazily, once each.
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
      if (!parsed.weight_map) throw new Error(`${index}: no weight_map`);
      return new Checkpoint(dir, new Map(Object.entries(parsed.weight_map)));
    }
    const single = join(dir, 'model.safetensors');
    if (!existsSync(single)) throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
    const file = SafetensorsFile.read(single);
    const ckpt = new Checkpoint(dir, new Map([...file.entries.keys()].map((k) => [k, 'model.safetensors'])));
    ckpt.files.set('model.safetensors', file);
    return ckpt;
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  has(name: string): boolean {
    return this.weightMap.has(name);
  }

  /** A tensor's shape from its shard's header, without decoding it. */
  shape(name: string): readonly number[] | undefined {
    const shard = this.weightMap.get(name);
    return shard === undefined ? undefined : this.file(shard).entries.get(name)?.shape;
  }

  private file(shard: string): SafetensorsFile {
    let file = this.files.get(shard);
    if (!file) {
      file = SafetensorsFile.read(join(this.dir, shard));
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

/** Serializes tensors (stored as `dtype`) into safetensors bytes, names sorted, 8-byte aligned data. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, dtype: SafetensorsDType = 'F32', metadata?: Record<string, string>): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const blobs: Uint8Array[] = [];
  let off = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const raw = dtype === 'F32' ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : new Uint8Array(encode16(t, dtype).buffer);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [off, off + raw.length] };
    blobs.push(raw);
    off += raw.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), ...blobs]);
}
