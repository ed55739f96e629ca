import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { dumpsPython, encodeFloat64 } from './json-numpy.js';
import { createServerMetrics, PROMETHEUS_CONTENT_TYPE, type ServerMetrics } from './metrics.js';
import type { ActionPolicy, ActionResult } from './policy.js';
import { QueueFullError, SerialQueue } from './queue.js';
import { parseActRequest, RequestError, type ActRequest, type ValidationLimits } from './validate.js';

export interface PolicyServerOptions {
  policy: ActionPolicy;
  /** Requests allowed to wait behind the running one before answering 503 (default 16). */
  queueCapacity?: number;
  /** Largest request body in bytes; larger ones get 413 (default 8 MiB: a 1400x1400 RGB image). */
  bodyLimit?: number;
  /** Longest instruction in characters (default 1024). */
  maxInstructionChars?: number;
  /** Largest image side in pixels (default 4096). */
  maxImageSide?: number;
  /** true: log every request; false: nothing; default: only failures of the policy (JSON lines on stdout). */
  logger?: boolean;
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { status: number; code: string; message: string };
}

/** The native route's answer: the action with the tokens and decoding statistics behind it. */
export interface PredictResponse {
  action: number[];
  tokens: number[] | null;
  stats: Record<string, number>;
  decoder: string;
  /** Time spent waiting for the model and running it, in milliseconds. */
  queue_ms: number;
  inference_ms: number;
}

export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
};

/** Status, code and message for anything a handler or the body parser threw. */
function classify(err: unknown): ErrorBody['error'] {
  if (err instanceof RequestError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof QueueFullError) return { status: 503, code: 'queue_full', message: err.message };
  const e = err as Partial<FastifyError>;
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's JSON parser throws a SyntaxError carrying status 400 for malformed JSON.
    const code = (e.code && FASTIFY_CODES[e.code]) ?? (e instanceof SyntaxError ? 'invalid_json' : 'bad_request');
    return { status: e.statusCode, code, message: e.message ?? String(err) };
  }
  return { status: 500, code: 'internal_error', message: `the policy failed: ${(err as Error)?.message ?? String(err)}` };
}

function sendError(reply: FastifyReply, error: ErrorBody['error']): FastifyReply {
  return reply.code(error.status).type('application/json').send({ error } satisfies ErrorBody);
}

/**
 * The policy server: OpenVLA's `POST /act` (json_numpy in and out, deploy.py's payloads), a native
 * `POST /v1/act` with tokens and statistics, `GET /health` and `GET /metrics`. Every request is
 * validated completely before it is queued; the model runs one request at a time.
 */
export class PolicyServer {
  readonly app: FastifyInstance;
  readonly queue: SerialQueue;
  readonly metrics: ServerMetrics;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(readonly opts: PolicyServerOptions) {
    const policy = opts.policy;
    this.queue = new SerialQueue(opts.queueCapacity ?? 16);
    this.metrics = createServerMetrics(this.queue);
    const limits: ValidationLimits = {
      unnormKeys: policy.unnormKeys,
      maxInstructionChars: opts.maxInstructionChars ?? 1024,
      maxImageSide: opts.maxImageSide ?? 4096,
      wristView: policy.wristView ?? false,
    };
    const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
    // return503OnClosing off: shutdown answers come from our own hook, with the same error body as the rest.
    const app = Fastify({ bodyLimit, logger: opts.logger ?? { level: 'error' }, return503OnClosing: false });
    this.app = app;
    // Only JSON is spoken; a text/plain body would otherwise arrive as a string and get a confusing error.
    app.removeContentTypeParser('text/plain');
    const m = this.metrics;

    app.addHook('onRequest', async (_req, reply) => {
      if (this.closing) {
        m.errors.inc({ code: 'shutting_down' });
        return sendError(reply, { status: 503, code: 'shutting_down', message: 'the server is shutting down' });
      }
    });
    // Answers given while closing end their connection, or keep-alive would hold close() for its timeout.
    app.addHook('onSend', async (_req, reply) => {
      if (this.closing) reply.header('Connection', 'close');
    });
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      m.requests.inc({ route, status: String(reply.statusCode) });
      if (route === '/act' || route === '/v1/act') m.latency.observe(reply.elapsedTime / 1000, { route });
    });
    app.setErrorHandler((err, req, reply) => {
      const error = classify(err);
      // Fastify's own messages for these do not say what to do about them.
      if (error.code === 'body_too_large') error.message = `the request body is over the limit of ${bodyLimit} bytes (serve --max-body-mb)`;
      if (error.code === 'unsupported_media_type') error.message = `Content-Type ${req.headers['content-type'] ?? '(none)'} is not accepted: send the body as application/json`;
      if (error.code === 'internal_error') req.log.error(err);
      m.errors.inc({ code: error.code });
      return sendError(reply, error);
    });
    app.setNotFoundHandler((req, reply) => {
      m.errors.inc({ code: 'not_found' });
      return sendError(reply, { status: 404, code: 'not_found', message: `no route ${req.method} ${req.url}; routes: POST /act, POST /v1/act, GET /health, GET /metrics` });
    });

    app.post('/act', async (req, reply) => {
      const request = parseActRequest(req.body, limits);
      const { result } = await this.infer(request);
      const action = encodeFloat64(result.action);
      // deploy.py answers the double-encoded form with json_numpy.dumps(action) as a JSON string.
      if (request.encoded) return reply.type('application/json').send(JSON.stringify(dumpsPython(action)));
      return action;
    });

    app.post('/v1/act', async (req): Promise<PredictResponse> => {
      const request = parseActRequest(req.body, limits);
      const { result, queueMs, inferenceMs } = await this.infer(request);
      return { action: result.action, tokens: result.tokens ?? null, stats: result.stats ?? {}, decoder: policy.description.decoder, queue_ms: queueMs, inference_ms: inferenceMs };
    });

    app.get('/health', async (_req, reply) => {
      // A policy that can no longer predict makes the server unhealthy, so a supervisor can restart it.
      const failure = policy.failure;
      return reply.code(failure ? 503 : 200).send({
        status: failure ? 'failed' : 'ok',
        ...(failure ? { failure } : {}),
        model: policy.description.model,
        decoder: policy.description.decoder,
        unnorm_keys: policy.unnormKeys,
        wrist_view: policy.wristView ?? false,
        queue: { waiting: this.queue.depth, capacity: this.queue.capacity, running: this.queue.running },
      });
    });

    app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(m.registry.render()));
  }

  /** Runs a validated request on the policy through the queue, and records what it did. */
  private async infer(request: ActRequest): Promise<{ result: ActionResult; queueMs: number; inferenceMs: number }> {
    const m = this.metrics;
    const queued = performance.now();
    let started = 0;
    const result = await this.queue.run(() => {
      started = performance.now();
      return this.opts.policy.predict(request.image, request.instruction, { unnormKey: request.unnormKey, wrist: request.wrist });
    });
    const inferenceMs = performance.now() - started;
    if (!Array.isArray(result.action) || result.action.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw new Error(`the policy returned a non-finite or malformed action ${JSON.stringify(result.action)}`);
    }
    m.inference.observe(inferenceMs / 1000);
    const s = result.stats ?? {};
    if (s.accept_length !== undefined) m.acceptLength.observe(s.accept_length);
    if (s.target_forwards !== undefined) m.targetForwards.inc({}, s.target_forwards);
    if (result.tokens) m.tokens.inc({}, result.tokens.length);
    return { result, queueMs: started - queued, inferenceMs };
  }

  /** Starts listening; resolves to the base URL (port 0 picks a free port). */
  async listen(host = '127.0.0.1', port = 8000): Promise<string> {
    await this.app.listen({ host, port });
    const addr = this.app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('the server has no TCP address');
    return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  /**
   * Graceful shutdown: new requests get 503 shutting_down, requests already accepted (running or
   * queued) finish and are answered, then connections close. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing = true;
    this.closed ??= (async () => {
      // Stops listening at once; resolves when every accepted request has been answered.
      await this.app.close();
      await this.queue.idle();
    })();
    return this.closed;
  }
}
