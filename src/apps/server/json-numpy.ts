/**
 * The json_numpy wire format (PyPI `json-numpy`, used by OpenVLA's deploy.py): an ndarray is the JSON
 * object `{"__numpy__": <base64 of the raw C-order bytes>, "dtype": <numpy descr>, "shape": [...]}`,
 * the descr being numpy's `dtype_to_descr` ("|u1" for uint8, "<f8" for little-endian float64).
 * An empty shape is a numpy scalar (one element).
 */

export interface JsonNumpy {
  __numpy__: string;
  dtype: string;
  shape: number[];
}

/** A decoded array: the raw little-endian bytes, still in the dtype they were sent as. */
export interface NdArray {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Descrs we read and write; numpy writes 1-byte types with "|", wider ones with their byte order. */
const ITEM_SIZE: Readonly<Record<string, number>> = {
  '|u1': 1, '|i1': 1, '|b1': 1,
  '<u2': 2, '<i2': 2, '<f2': 2,
  '<u4': 4, '<i4': 4, '<f4': 4,
  '<u8': 8, '<i8': 8, '<f8': 8,
};

export type JsonNumpyErrorCode = 'not_ndarray' | 'invalid_dtype' | 'invalid_shape' | 'invalid_base64' | 'length_mismatch';

export class JsonNumpyError extends Error {
  constructor(readonly code: JsonNumpyErrorCode, message: string) {
    super(message);
    this.name = 'JsonNumpyError';
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isJsonNumpy(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && '__numpy__' in value;
}

/** Number of elements of a shape (1 for a scalar); throws when a dimension is not a non-negative integer. */
function shapeSize(shape: readonly number[], where = 'shape'): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new JsonNumpyError('invalid_shape', `${where} must hold non-negative integers, got ${JSON.stringify(shape)}`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new JsonNumpyError('invalid_shape', `${where} ${JSON.stringify(shape)} is too large`);
  return n;
}

/**
 * Reads a json_numpy object, checking everything numpy would (dtype, shape, byte count) and what
 * Python's lenient b64decode would not (characters outside the alphabet, padding), without
 * decoding the payload until its length is known to match.
 */
export function decodeJsonNumpy(value: unknown, where = 'array'): NdArray {
  if (!isJsonNumpy(value)) throw new JsonNumpyError('not_ndarray', `${where} must be a json_numpy array {"__numpy__": base64, "dtype": ..., "shape": [...]}`);
  const { __numpy__: b64, dtype, shape } = value;
  if (typeof dtype !== 'string') throw new JsonNumpyError('invalid_dtype', `${where}.dtype must be a numpy descr string such as "|u1" or "<f8"`);
  const itemSize = ITEM_SIZE[dtype];
  if (itemSize === undefined) {
    const hint = dtype.startsWith('>') ? ' (big-endian data is not accepted; send little-endian)' : '';
    throw new JsonNumpyError('invalid_dtype', `${where}.dtype ${JSON.stringify(dtype)} is not supported${hint}; supported: ${Object.keys(ITEM_SIZE).join(' ')}`);
  }
  if (!Array.isArray(shape)) throw new JsonNumpyError('invalid_shape', `${where}.shape must be an array of integers`);
  const count = shapeSize(shape as number[], `${where}.shape`);
  if (typeof b64 !== 'string' || b64.length % 4 !== 0 || !BASE64.test(b64)) {
    throw new JsonNumpyError('invalid_base64', `${where}.__numpy__ must be standard padded base64`);
  }
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  const byteLength = (b64.length / 4) * 3 - padding;
  const expected = count * itemSize;
  if (byteLength !== expected) {
    throw new JsonNumpyError('length_mismatch', `${where}: base64 holds ${byteLength} bytes but shape ${JSON.stringify(shape)} of ${dtype} needs ${expected}`);
  }
  const buf = Buffer.from(b64, 'base64');
  return { dtype, shape: [...(shape as number[])], bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** The values of a "<f8" array (or "<f4"), independent of the host's byte order. */
export function toFloat64(arr: NdArray): Float64Array {
  const view = new DataView(arr.bytes.buffer, arr.bytes.byteOffset, arr.bytes.byteLength);
  if (arr.dtype === '<f8') return Float64Array.from({ length: arr.bytes.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
  if (arr.dtype === '<f4') return Float64Array.from({ length: arr.bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  throw new JsonNumpyError('invalid_dtype', `expected a float array (<f8 or <f4), got ${arr.dtype}`);
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A uint8 array as json_numpy "|u1" (e.g. an HxWx3 image). */
export function encodeUint8(data: Uint8Array, shape: readonly number[]): JsonNumpy {
  if (shapeSize(shape) !== data.length) throw new JsonNumpyError('length_mismatch', `${data.length} bytes for shape ${JSON.stringify(shape)}`);
  return { __numpy__: toBase64(data), dtype: '|u1', shape: [...shape] };
}

/** Numbers as json_numpy "<f8" of the given shape (default: a vector). */
export function encodeFloat64(values: ArrayLike<number>, shape: readonly number[] = [values.length]): JsonNumpy {
  if (shapeSize(shape) !== values.length) throw new JsonNumpyError('length_mismatch', `${values.length} values for shape ${JSON.stringify(shape)}`);
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return { __numpy__: toBase64(bytes), dtype: '<f8', shape: [...shape] };
}

/**
 * The text Python's `json_numpy.dumps(arr)` writes: json.dumps with its default ", " and ": "
 * separators and the keys in json_numpy's order. deploy.py answers the `{"encoded": ...}` form with
 * this text as a JSON string.
 */
export function dumpsPython(arr: JsonNumpy): string {
  return `{"__numpy__": ${JSON.stringify(arr.__numpy__)}, "dtype": ${JSON.stringify(arr.dtype)}, "shape": [${arr.shape.join(', ')}]}`;
}
