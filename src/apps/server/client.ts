import type { RgbImage } from '../../model/index.js';
import { decodeJsonNumpy, encodeUint8, toFloat64, type JsonNumpy } from './json-numpy.js';
import type { ErrorBody, PredictResponse } from './server.js';

/** An error answer from the policy server (or a response that is not what the API promises). */
export class PolicyServerError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'PolicyServerError';
  }
}

export interface HealthResponse {
  status: 'ok' | 'failed';
  failure?: string;
  model: string;
  decoder: string;
  unnorm_keys: string[];
  /** Whether requests must carry `wrist_image`. */
  wrist_view: boolean;
  queue: { waiting: number; capacity: number; running: boolean };
}

/** An image as json_numpy uint8 HxWx3, the way OpenVLA clients send `np.asarray(pil_image)`. */
export function imageToJsonNumpy(image: RgbImage): JsonNumpy {
  return encodeUint8(image.data, [image.height, image.width, 3]);
}

/** The /act request body for an observation (with the wrist camera's frame, for a model with a wrist view). */
export function actPayload(image: RgbImage, instruction: string, unnormKey?: string, wrist?: RgbImage): Record<string, unknown> {
  return { image: imageToJsonNumpy(image), instruction, ...(unnormKey === undefined ? {} : { unnorm_key: unnormKey }), ...(wrist ? { wrist_image: imageToJsonNumpy(wrist) } : {}) };
}

/** A client for the policy server, speaking the same API as a Python client of OpenVLA's deploy.py. */
export class PolicyClient {
  readonly baseUrl: string;

  constructor(baseUrl: string, readonly timeoutMs = 60_000) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** POST /act: the action, exactly as OpenVLA's server returns it (json_numpy float64). */
  async act(image: RgbImage, instruction: string, unnormKey?: string, wrist?: RgbImage): Promise<number[]> {
    const body = await this.request('POST', '/act', actPayload(image, instruction, unnormKey, wrist));
    try {
      const arr = decodeJsonNumpy(body, 'action');
      return Array.from(toFloat64(arr));
    } catch (e) {
      throw new PolicyServerError(200, 'bad_response', `the server's /act answer is not a json_numpy float array: ${(e as Error).message}`);
    }
  }

  /** POST /v1/act: the action with its tokens and decoding statistics. */
  async predict(image: RgbImage, instruction: string, unnormKey?: string, wrist?: RgbImage): Promise<PredictResponse> {
    return (await this.request('POST', '/v1/act', actPayload(image, instruction, unnormKey, wrist))) as PredictResponse;
  }

  async health(): Promise<HealthResponse> {
    return (await this.request('GET', '/health')) as HealthResponse;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new PolicyServerError(0, 'unreachable', `cannot reach ${this.baseUrl}${path}: ${cause ?? (e as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PolicyServerError(res.status, 'bad_response', `${method} ${path} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const err = (json as Partial<ErrorBody>).error;
      throw new PolicyServerError(res.status, err?.code ?? 'http_error', err?.message ?? `${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    }
    return json;
  }
}
