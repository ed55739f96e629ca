import type { RgbImage } from '../../model/index.js';
import { decodeJsonNumpy, isJsonNumpy, JsonNumpyError } from './json-numpy.js';

/** A client error with its HTTP status and a stable machine-readable code. */
export class RequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface ActRequest {
  image: RgbImage;
  /** The wrist camera's frame (`wrist_image`), for a model with a wrist view. */
  wrist?: RgbImage;
  instruction: string;
  unnormKey?: string;
  /** The request came as deploy.py's `{"encoded": "<json>"}` form (answered in kind). */
  encoded: boolean;
}

export interface ValidationLimits {
  /** norm_stats keys of the model; an unnorm_key must be one of them, and may be omitted only when there is exactly one. */
  unnormKeys: readonly string[];
  maxInstructionChars: number;
  /** Largest accepted image side in pixels. */
  maxImageSide: number;
  /** The model also reads a wrist-camera frame: `wrist_image` is required (refused otherwise). */
  wristView?: boolean;
}

const FIELDS = ['image', 'instruction', 'unnorm_key', 'wrist_image'];

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * Checks an OpenVLA /act payload completely before anything reaches the model. Unknown fields are
 * refused rather than ignored: a misspelt "unnorm_key" silently falling back to other dataset
 * statistics would move a robot by the wrong amounts.
 */
export function parseActRequest(body: unknown, limits: ValidationLimits): ActRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'invalid_body', `the body must be a JSON object with "image" and "instruction", got ${describe(body)}`);
  }
  let payload = body as Record<string, unknown>;
  let encoded = false;
  if ('encoded' in payload) {
    // deploy.py's double-encoded form, for clients without json_numpy: the payload is a JSON string.
    if (Object.keys(payload).length !== 1) throw new RequestError(400, 'unknown_field', 'an "encoded" payload must be the only field');
    if (typeof payload.encoded !== 'string') throw new RequestError(400, 'invalid_type', `"encoded" must be a string holding the JSON payload, got ${describe(payload.encoded)}`);
    let inner: unknown;
    try {
      inner = JSON.parse(payload.encoded);
    } catch (e) {
      throw new RequestError(400, 'invalid_json', `"encoded" is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
      throw new RequestError(400, 'invalid_body', `"encoded" must hold a JSON object, got ${describe(inner)}`);
    }
    payload = inner as Record<string, unknown>;
    encoded = true;
  }
  const unknown = Object.keys(payload).filter((k) => !FIELDS.includes(k));
  if (unknown.length) throw new RequestError(400, 'unknown_field', `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected ${FIELDS.join(', ')}`);
  for (const f of ['image', 'instruction']) {
    if (!(f in payload)) throw new RequestError(400, 'missing_field', `missing field "${f}"`);
  }
  if (limits.wristView && !('wrist_image' in payload)) throw new RequestError(400, 'missing_field', 'missing field "wrist_image": this model also reads the wrist camera');
  if (!limits.wristView && 'wrist_image' in payload) throw new RequestError(400, 'unknown_field', '"wrist_image" was given, but this model has no wrist view');
  return {
    image: parseImage(payload.image, limits.maxImageSide),
    ...(limits.wristView ? { wrist: parseImage(payload.wrist_image, limits.maxImageSide, 'wrist_image') } : {}),
    instruction: parseInstruction(payload.instruction, limits.maxInstructionChars),
    unnormKey: parseUnnormKey(payload.unnorm_key, limits.unnormKeys),
    encoded,
  };
}

function parseImage(value: unknown, maxSide: number, field = 'image'): RgbImage {
  // The dtype first: a float image is better told "must be uint8" than that its byte count is off.
  if (isJsonNumpy(value) && value.dtype !== '|u1') throw new RequestError(400, 'invalid_dtype', `${field} must be uint8 ("|u1"), got ${JSON.stringify(value.dtype)}`);
  let arr;
  try {
    arr = decodeJsonNumpy(value, field);
  } catch (e) {
    if (e instanceof JsonNumpyError) throw new RequestError(400, e.code === 'not_ndarray' ? 'invalid_type' : e.code, e.message);
    throw e;
  }
  const [height = 0, width = 0, channels = 0] = arr.shape;
  if (arr.shape.length !== 3 || (channels !== 3 && channels !== 4)) {
    throw new RequestError(400, 'invalid_shape', `${field} must have shape [height, width, 3] (or 4 channels, alpha dropped), got ${JSON.stringify(arr.shape)}`);
  }
  if (height < 1 || width < 1 || height > maxSide || width > maxSide) {
    throw new RequestError(400, 'invalid_shape', `${field} sides must be between 1 and ${maxSide} pixels, got ${height}x${width}`);
  }
  if (channels === 3) return { width, height, data: arr.bytes };
  // RGBA: keep RGB, as PIL's convert("RGB") in deploy.py does.
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) rgb.set(arr.bytes.subarray(p * 4, p * 4 + 3), p * 3);
  return { width, height, data: rgb };
}

function parseInstruction(value: unknown, maxChars: number): string {
  if (typeof value !== 'string') throw new RequestError(400, 'invalid_type', `"instruction" must be a string, got ${describe(value)}`);
  if (!value.trim()) throw new RequestError(400, 'empty_instruction', '"instruction" is empty');
  if (value.length > maxChars) throw new RequestError(400, 'instruction_too_long', `"instruction" has ${value.length} characters; the limit is ${maxChars}`);
  return value;
}

function parseUnnormKey(value: unknown, keys: readonly string[]): string | undefined {
  const available = keys.length ? keys.map((k) => JSON.stringify(k)).join(', ') : '(none)';
  // deploy.py reads it with payload.get("unnorm_key", None): null means absent.
  if (value === undefined || value === null) {
    if (keys.length === 1) return undefined;
    throw new RequestError(400, 'missing_unnorm_key', `this model has ${keys.length === 0 ? 'no dataset statistics' : 'statistics for several datasets'}: pass "unnorm_key" (one of ${available})`);
  }
  if (typeof value !== 'string') throw new RequestError(400, 'invalid_type', `"unnorm_key" must be a string, got ${describe(value)}`);
  if (!keys.includes(value)) throw new RequestError(400, 'unknown_unnorm_key', `unknown "unnorm_key" ${JSON.stringify(value)}; this model has ${available}`);
  return value;
}
