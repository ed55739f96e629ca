import { Tensor } from '../ops/index.js';

/**
 * Keys and values of every layer for the positions processed so far, in preallocated buffers.
 * A forward writes its T new entries after `length` and then `commit(T)`s them. Speculative decoding
 * needs two more moves: `keep(indices)` compacts the cache to the entries of an accepted tree path,
 * and `truncate(n)` drops everything after the first n entries.
 */
export class KvCache {
  private readonly k: Float32Array[];
  private readonly v: Float32Array[];
  length = 0;

  constructor(
    readonly nLayers: number,
    readonly width: number,
    readonly capacity: number,
  ) {
    this.k = Array.from({ length: nLayers }, () => new Float32Array(capacity * width));
    this.v = Array.from({ length: nLayers }, () => new Float32Array(capacity * width));
  }

  /** Writes T new rows of keys and values for one layer right after the committed entries. */
  write(layer: number, k: Tensor, v: Tensor): void {
    const T = k.rows;
    if (this.length + T > this.capacity) throw new Error(`KvCache: ${this.length} + ${T} entries exceed the capacity of ${this.capacity}`);
    if (k.cols !== this.width || v.cols !== this.width) throw new Error(`KvCache: rows of width ${k.cols}, cache width ${this.width}`);
    this.k[layer]!.set(k.data, this.length * this.width);
    this.v[layer]!.set(v.data, this.length * this.width);
  }

  /** Keys and values of one layer: the committed entries plus `pending` just written. */
  view(layer: number, pending: number): { k: Tensor; v: Tensor } {
    const n = (this.length + pending) * this.width;
    return {
      k: new Tensor(this.k[layer]!.subarray(0, n), [this.length + pending, this.width]),
      v: new Tensor(this.v[layer]!.subarray(0, n), [this.length + pending, this.width]),
    };
  }

  commit(n: number): void {
    this.length += n;
  }

  truncate(n: number): void {
    if (n < 0 || n > this.length) throw new Error(`KvCache.truncate: ${n} outside [0, ${this.length}]`);
    this.length = n;
  }

  /** Keeps the entries at `indices` (increasing), moved to the front in that order. */
  keep(indices: ArrayLike<number>): void {
    for (let i = 0; i < indices.length; i++) {
      const src = indices[i]!;
      if (src < i || src >= this.length || (i > 0 && src <= indices[i - 1]!)) {
        throw new Error(`KvCache.keep: indices must increase within [0, ${this.length}), got ${Array.from(indices).join(',')}`);
      }
      if (src === i) continue;
      for (const buf of [...this.k, ...this.v]) buf.copyWithin(i * this.width, src * this.width, (src + 1) * this.width);
    }
    this.length = indices.length;
  }
}
