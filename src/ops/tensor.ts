/**
 * A tensor is a Float32Array plus a row-major shape. Views (reshape, row slices) share the buffer,
 * so slicing a KV cache or a batch costs nothing.
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];

  constructor(data: Float32Array, shape: readonly number[]) {
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new Error(`Tensor: shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
    }
    this.data = data;
    this.shape = [...shape];
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape);
  }

  /**
   * A tensor whose values are left as they are in fresh memory: for an op's output that its kernel
   * overwrites entirely. Zero-filling the outputs of a 45-token prefill writes ~9 MB per action.
   */
  static empty(shape: readonly number[]): Tensor {
    const n = shapeSize(shape);
    return new Tensor(new Float32Array(Buffer.allocUnsafeSlow(4 * n).buffer, 0, n), shape);
  }

  static from(values: ArrayLike<number>, shape: readonly number[]): Tensor {
    return new Tensor(Float32Array.from(values), shape);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Length of the last axis. */
  get cols(): number {
    return this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1]!;
  }

  /** Product of all axes but the last: the number of rows when seen as a matrix. */
  get rows(): number {
    return this.cols === 0 ? 0 : this.size / this.cols;
  }

  /** Same buffer, another shape of the same size. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** Rows [start, end) along the first axis, sharing the buffer. */
  slice(start: number, end: number): Tensor {
    const n0 = this.shape[0] ?? 1;
    if (start < 0 || end > n0 || start > end) {
      throw new Error(`Tensor.slice: [${start}, ${end}) out of range for first axis ${n0}`);
    }
    const inner = n0 === 0 ? 0 : this.size / n0;
    return new Tensor(this.data.subarray(start * inner, end * inner), [end - start, ...this.shape.slice(1)]);
  }

  /** A copy with its own buffer. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  toString(): string {
    return `Tensor[${this.shape.join(', ')}]`;
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}
