import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../../model/index.js';
import { actPayload, PolicyClient, PolicyServerError } from './client.js';
import { decodeJsonNumpy, dumpsPython, encodeFloat64, encodeUint8, toFloat64 } from './json-numpy.js';
import type { ActionPolicy, ActionResult } from './policy.js';
import { PolicyServer, type PredictResponse } from './server.js';

/**
 * A deterministic policy whose action depends on every input (image bytes, instruction, unnorm_key),
 * so a wrong image decode or a mixed-up field shows in the answer. It counts its calls, and can be
 * held at a gate to fill the queue or to be caught in flight by a shutdown.
 */
class TestPolicy implements ActionPolicy {
  readonly description = { model: 'test-policy', decoder: 'ar' };
  readonly unnormKeys = ['bridge_orig', 'libero_spatial'];
  calls = 0;
  started = 0;
  gate: Promise<void> | undefined;
  failNext = false;

  static expected(image: RgbImage, instruction: string, unnormKey: string): number[] {
    let sum = 0;
    for (let i = 0; i < image.data.length; i++) sum += image.data[i]! * ((i % 7) + 1);
    const scale = unnormKey === 'bridge_orig' ? 1 : -2;
    return Array.from({ length: 7 }, (_, d) => scale * (((sum + 31 * d) % 1000) / 1000 + instruction.length / 64 + image.width / 8192 + d / 3));
  }

  async predict(image: RgbImage, instruction: string, opts: { unnormKey?: string }): Promise<ActionResult> {
    this.started++;
    if (this.gate) await this.gate;
    this.calls++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('weights on fire');
    }
    const action = TestPolicy.expected(image, instruction, opts.unnormKey!);
    return { action, tokens: action.map((_, d) => 31_990 - d), stats: { tokens: 7, target_forwards: 3, accept_length: 7 / 3, total_ms: 1.5 } };
  }
}

function testImage(width: number, height: number, seed = 1): RgbImage {
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 2654435761 + seed * 97) >>> 24) };
}

async function post(url: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** A TestPolicy that also reads a wrist-camera frame: its action is the sum of what both images give. */
class WristTestPolicy extends TestPolicy {
  readonly wristView = true;

  override async predict(image: RgbImage, instruction: string, opts: { unnormKey?: string; wrist?: RgbImage }): Promise<ActionResult> {
    const r = await super.predict(image, instruction, opts);
    const w = TestPolicy.expected(opts.wrist!, instruction, opts.unnormKey!);
    return { ...r, action: r.action.map((a, d) => a + w[d]!) };
  }
}

async function withServer(opts: { bodyLimit?: number; queueCapacity?: number; logger?: boolean; wrist?: boolean }, fn: (url: string, policy: TestPolicy, server: PolicyServer) => Promise<void>): Promise<void> {
  const policy = opts.wrist ? new WristTestPolicy() : new TestPolicy();
  const server = new PolicyServer({ policy, ...opts });
  const url = await server.listen('127.0.0.1', 0);
  try {
    await fn(url, policy, server);
  } finally {
    await server.close();
  }
}

const IMAGE = testImage(32, 24);
const GOOD = actPayload(IMAGE, 'Pick up the black bowl', 'bridge_orig');
const EXPECTED = TestPolicy.expected(IMAGE, 'Pick up the black bowl', 'bridge_orig');

async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('POST /act answers like deploy.py: a json_numpy <f8 vector of 7, compact JSON, bit-exact values', async () => {
  await withServer({}, async (url) => {
    const r = await post(`${url}/act`, JSON.stringify(GOOD));
    assert.equal(r.status, 200);
    assert.equal(r.text, JSON.stringify(encodeFloat64(EXPECTED)));
    const arr = decodeJsonNumpy(r.json, 'action');
    assert.equal(arr.dtype, '<f8');
    assert.deepEqual(arr.shape, [7]);
    assert.deepEqual([...toFloat64(arr)], EXPECTED);
  });
});

test('{"encoded": ...} form: the payload as a JSON string, answered with json_numpy.dumps text as a JSON string', async () => {
  await withServer({}, async (url) => {
    const r = await post(`${url}/act`, JSON.stringify({ encoded: JSON.stringify(GOOD) }));
    assert.equal(r.status, 200);
    assert.equal(typeof r.json, 'string');
    assert.equal(r.json, dumpsPython(encodeFloat64(EXPECTED)));
    assert.deepEqual([...toFloat64(decodeJsonNumpy(JSON.parse(r.json as string)))], EXPECTED);
  });
});

test('an RGBA image is read as its RGB channels (PIL convert("RGB")), unnorm_key null means absent', async () => {
  await withServer({}, async (url, policy) => {
    const rgba = new Uint8Array(IMAGE.width * IMAGE.height * 4);
    for (let p = 0; p < IMAGE.width * IMAGE.height; p++) {
      rgba.set(IMAGE.data.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = 200;
    }
    const body = { image: encodeUint8(rgba, [IMAGE.height, IMAGE.width, 4]), instruction: 'Pick up the black bowl', unnorm_key: 'bridge_orig' };
    const r = await post(`${url}/act`, JSON.stringify(body));
    assert.deepEqual([...toFloat64(decodeJsonNumpy(r.json))], EXPECTED);
    // With two datasets, null unnorm_key is as good as none: refused for being ambiguous.
    const none = await post(`${url}/act`, JSON.stringify({ ...GOOD, unnorm_key: null }));
    assert.equal(none.status, 400);
    assert.equal((none.json as { error: { code: string } }).error.code, 'missing_unnorm_key');
    assert.equal(policy.calls, 1);
  });
});

test('every bad input gets its 4xx JSON error without reaching the model, and the next good request still works', async () => {
  const bodyLimit = 64 * 1024;
  await withServer({ bodyLimit }, async (url, policy) => {
    const img = (over: Record<string, unknown>) => JSON.stringify({ ...GOOD, image: { ...(GOOD.image as object), ...over } });
    const without = (k: string) => JSON.stringify(Object.fromEntries(Object.entries(GOOD).filter(([key]) => key !== k)));
    const good = JSON.stringify(GOOD);
    const cases: { name: string; body: string; path?: string; type?: string; status: number; code: string }[] = [
      { name: 'malformed JSON', body: '{"image": {"__numpy__": ', status: 400, code: 'invalid_json' },
      { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
      { name: 'body is an array', body: '[1, 2, 3]', status: 400, code: 'invalid_body' },
      { name: 'body is a string', body: '"act"', status: 400, code: 'invalid_body' },
      { name: 'missing image', body: without('image'), status: 400, code: 'missing_field' },
      { name: 'missing instruction', body: without('instruction'), status: 400, code: 'missing_field' },
      { name: 'misspelt field', body: JSON.stringify({ ...GOOD, unnormkey: 'bridge_orig' }), status: 400, code: 'unknown_field' },
      { name: 'a wrist image for a model without a wrist view', body: JSON.stringify({ ...GOOD, wrist_image: GOOD.image }), status: 400, code: 'unknown_field' },
      { name: 'instruction is a number', body: JSON.stringify({ ...GOOD, instruction: 42 }), status: 400, code: 'invalid_type' },
      { name: 'image as nested lists', body: JSON.stringify({ ...GOOD, image: [[[0, 0, 0]]] }), status: 400, code: 'invalid_type' },
      { name: 'image dtype float64', body: img({ dtype: '<f8', shape: [IMAGE.height, IMAGE.width / 8, 3] }), status: 400, code: 'invalid_dtype' },
      { name: 'image dtype unknown', body: img({ dtype: 'u1x' }), status: 400, code: 'invalid_dtype' },
      { name: 'image big-endian', body: img({ dtype: '>u2', shape: [IMAGE.height, IMAGE.width / 2, 3] }), status: 400, code: 'invalid_dtype' },
      { name: 'image rank 2', body: img({ shape: [IMAGE.height, IMAGE.width * 3] }), status: 400, code: 'invalid_shape' },
      { name: 'image rank 4', body: img({ shape: [1, IMAGE.height, IMAGE.width, 3] }), status: 400, code: 'invalid_shape' },
      { name: 'image with 2 channels', body: img({ shape: [IMAGE.height, (IMAGE.width * 3) / 2, 2] }), status: 400, code: 'invalid_shape' },
      { name: 'image with a zero side', body: img({ shape: [0, IMAGE.width, 3], __numpy__: '' }), status: 400, code: 'invalid_shape' },
      { name: 'negative dimension', body: img({ shape: [-IMAGE.height, IMAGE.width, 3] }), status: 400, code: 'invalid_shape' },
      { name: 'base64 one row short', body: img({ shape: [IMAGE.height + 1, IMAGE.width, 3] }), status: 400, code: 'length_mismatch' },
      { name: 'base64 truncated', body: img({ __numpy__: (GOOD.image as { __numpy__: string }).__numpy__.slice(0, -3) }), status: 400, code: 'invalid_base64' },
      { name: 'base64 with bad characters', body: img({ __numpy__: '!'.repeat(IMAGE.data.length / 3 * 4) }), status: 400, code: 'invalid_base64' },
      { name: 'body over the size limit', body: JSON.stringify({ ...GOOD, instruction: 'x'.repeat(bodyLimit) }), status: 413, code: 'body_too_large' },
      { name: 'unknown unnorm_key', body: JSON.stringify({ ...GOOD, unnorm_key: 'fractal' }), status: 400, code: 'unknown_unnorm_key' },
      { name: 'unnorm_key missing with two datasets', body: without('unnorm_key'), status: 400, code: 'missing_unnorm_key' },
      { name: 'unnorm_key not a string', body: JSON.stringify({ ...GOOD, unnorm_key: 3 }), status: 400, code: 'invalid_type' },
      { name: 'empty instruction', body: JSON.stringify({ ...GOOD, instruction: '' }), status: 400, code: 'empty_instruction' },
      { name: 'blank instruction', body: JSON.stringify({ ...GOOD, instruction: ' \n\t' }), status: 400, code: 'empty_instruction' },
      { name: 'overlong instruction', body: JSON.stringify({ ...GOOD, instruction: 'a'.repeat(5000) }), status: 400, code: 'instruction_too_long' },
      { name: 'encoded is not JSON', body: JSON.stringify({ encoded: '{"image":' }), status: 400, code: 'invalid_json' },
      { name: 'encoded is not a string', body: JSON.stringify({ encoded: GOOD }), status: 400, code: 'invalid_type' },
      { name: 'encoded with other fields', body: JSON.stringify({ encoded: good, instruction: 'x' }), status: 400, code: 'unknown_field' },
      { name: 'encoded holding a bad image', body: JSON.stringify({ encoded: img({ dtype: '<f4' }) }), status: 400, code: 'invalid_dtype' },
      { name: 'not JSON content type', body: good, type: 'text/plain', status: 415, code: 'unsupported_media_type' },
      { name: 'bad input on the native route', path: '/v1/act', body: JSON.stringify({ ...GOOD, instruction: '' }), status: 400, code: 'empty_instruction' },
      { name: 'unknown route', path: '/predict', body: good, status: 404, code: 'not_found' },
    ];
    for (const c of cases) {
      const bad = await post(url + (c.path ?? '/act'), c.body, c.type);
      assert.equal(bad.status, c.status, `${c.name}: status (${bad.text.slice(0, 200)})`);
      const err = (bad.json as { error?: { status: number; code: string; message: string } } | undefined)?.error;
      assert.ok(err, `${c.name}: JSON error body, got ${bad.text.slice(0, 200)}`);
      assert.equal(err.code, c.code, `${c.name}: code (${err.message})`);
      assert.equal(err.status, c.status);
      assert.ok(err.message.length > 5, `${c.name}: a message`);
      if (c.code === 'body_too_large') assert.match(err.message, new RegExp(`limit of ${bodyLimit} bytes`));
      assert.equal(policy.started, policy.calls, `${c.name}: nothing left running`);
      const callsBefore = policy.calls;
      const next = await post(`${url}/act`, good);
      assert.equal(next.status, 200, `${c.name}: next good request`);
      assert.deepEqual([...toFloat64(decodeJsonNumpy(next.json))], EXPECTED, `${c.name}: next good action`);
      assert.equal(policy.calls, callsBefore + 1, `${c.name}: the bad request never reached the model`);
    }
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
  });
});

test('a model with a wrist view gets the wrist_image field through to the policy, and a request without it is refused', async () => {
  await withServer({ wrist: true }, async (url, policy) => {
    const wrist = testImage(16, 16, 5);
    const client = new PolicyClient(url);
    const expected = TestPolicy.expected(IMAGE, 'Pick up the black bowl', 'bridge_orig').map((a, d) => a + TestPolicy.expected(wrist, 'Pick up the black bowl', 'bridge_orig')[d]!);
    assert.deepEqual(await client.act(IMAGE, 'Pick up the black bowl', 'bridge_orig', wrist), expected);
    assert.deepEqual((await client.predict(IMAGE, 'Pick up the black bowl', 'bridge_orig', wrist)).action, expected);
    const missing = await post(`${url}/act`, JSON.stringify(GOOD));
    assert.equal(missing.status, 400);
    assert.match((missing.json as { error: { code: string; message: string } }).error.message, /missing field "wrist_image"/);
    const badWrist = await post(`${url}/act`, JSON.stringify({ ...GOOD, wrist_image: { ...(GOOD.image as object), dtype: '<f8' } }));
    assert.match((badWrist.json as { error: { message: string } }).error.message, /wrist_image must be uint8/);
    assert.equal(policy.calls, 2, 'the refused requests never reached the model');
    assert.equal((await client.health()).wrist_view, true);
  });
});

test('a policy failure is a 500 JSON error and the server keeps serving', async () => {
  await withServer({ logger: false }, async (url, policy) => {
    policy.failNext = true;
    const r = await post(`${url}/act`, JSON.stringify(GOOD));
    assert.equal(r.status, 500);
    assert.equal((r.json as { error: { code: string; message: string } }).error.code, 'internal_error');
    assert.match((r.json as { error: { message: string } }).error.message, /weights on fire/);
    assert.equal((await post(`${url}/act`, JSON.stringify(GOOD))).status, 200);
  });
});

test('POST /v1/act returns the action with its tokens and decoding statistics', async () => {
  await withServer({}, async (url) => {
    const r = await post(`${url}/v1/act`, JSON.stringify(GOOD));
    assert.equal(r.status, 200);
    const body = r.json as PredictResponse;
    assert.deepEqual(body.action, EXPECTED);
    assert.deepEqual(body.tokens, [31990, 31989, 31988, 31987, 31986, 31985, 31984]);
    assert.deepEqual(body.stats, { tokens: 7, target_forwards: 3, accept_length: 7 / 3, total_ms: 1.5 });
    assert.equal(body.decoder, 'ar');
    assert.ok(body.queue_ms >= 0 && body.inference_ms >= 0);
  });
});

test('GET /health and GET /metrics (Prometheus) reflect what was served', async () => {
  await withServer({}, async (url) => {
    const h = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
    assert.deepEqual(h, { status: 'ok', model: 'test-policy', decoder: 'ar', unnorm_keys: ['bridge_orig', 'libero_spatial'], wrist_view: false, queue: { waiting: 0, capacity: 16, running: false } });
    for (let i = 0; i < 3; i++) assert.equal((await post(`${url}/act`, JSON.stringify(GOOD))).status, 200);
    assert.equal((await post(`${url}/v1/act`, JSON.stringify(GOOD))).status, 200);
    assert.equal((await post(`${url}/act`, '{')).status, 400);
    const res = await fetch(`${url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `${series} in /metrics`);
      return Number(line.slice(series.length + 1));
    };
    assert.equal(value('specvla_request_duration_seconds_count{route="/act"}'), 4, 'three good and one bad /act');
    assert.equal(value('specvla_request_duration_seconds_bucket{route="/act",le="+Inf"}'), 4);
    assert.equal(value('specvla_request_duration_seconds_count{route="/v1/act"}'), 1);
    assert.equal(value('specvla_http_requests_total{route="/act",status="200"}'), 3);
    assert.equal(value('specvla_http_requests_total{route="/act",status="400"}'), 1);
    assert.equal(value('specvla_http_errors_total{code="invalid_json"}'), 1);
    assert.equal(value('specvla_accept_length_count'), 4);
    assert.ok(Math.abs(value('specvla_accept_length_sum') - (4 * 7) / 3) < 1e-9);
    assert.equal(value('specvla_accept_length_bucket{le="2"}'), 0);
    assert.equal(value('specvla_accept_length_bucket{le="2.5"}'), 4);
    assert.equal(value('specvla_target_forwards_total'), 12);
    assert.equal(value('specvla_action_tokens_total'), 28);
    assert.equal(value('specvla_inference_duration_seconds_count'), 4);
    assert.equal(value('specvla_queue_depth'), 0);
    assert.ok(value('process_resident_memory_bytes') > 1e6);
  });
});

test('requests wait their turn in a bounded queue; one more gets 503 queue_full; all accepted ones are answered', async () => {
  await withServer({ queueCapacity: 2 }, async (url, policy) => {
    let open!: () => void;
    policy.gate = new Promise<void>((r) => (open = r));
    const client = new PolicyClient(url);
    const accepted = [0, 1, 2].map(async (i) => (await post(`${url}/act`, JSON.stringify({ ...GOOD, instruction: `task ${i}` }))).json);
    await waitFor('one running and two waiting', async () => {
      const h = await client.health();
      return h.queue.running && h.queue.waiting === 2;
    });
    const refused = await post(`${url}/act`, JSON.stringify(GOOD));
    assert.equal(refused.status, 503);
    assert.equal((refused.json as { error: { code: string } }).error.code, 'queue_full');
    assert.equal(policy.started, 1, 'only one request on the model at a time');
    policy.gate = undefined;
    open();
    const answers = await Promise.all(accepted);
    answers.forEach((a, i) => assert.deepEqual([...toFloat64(decodeJsonNumpy(a))], TestPolicy.expected(IMAGE, `task ${i}`, 'bridge_orig')));
    assert.deepEqual(await client.act(IMAGE, 'Pick up the black bowl', 'bridge_orig'), EXPECTED);
  });
});

test('graceful shutdown: requests in flight are answered, new ones are refused, close() resolves', async () => {
  const policy = new TestPolicy();
  const server = new PolicyServer({ policy });
  const url = await server.listen('127.0.0.1', 0);
  let open!: () => void;
  policy.gate = new Promise<void>((r) => (open = r));
  const inFlight = post(`${url}/act`, JSON.stringify(GOOD));
  const queued = post(`${url}/v1/act`, JSON.stringify(GOOD));
  await waitFor('both requests accepted', () => policy.started === 1 && server.queue.depth === 1);
  let closed = false;
  const closing = server.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, false, 'close waits for the requests in flight');
  const late = await post(`${url}/act`, JSON.stringify(GOOD)).catch((e: Error) => e);
  if (late instanceof Error) assert.match(String((late as { cause?: unknown }).cause ?? late), /ECONNREFUSED|ECONNRESET|other side closed/);
  else {
    assert.equal(late.status, 503);
    assert.equal((late.json as { error: { code: string } }).error.code, 'shutting_down');
  }
  open();
  const released = performance.now();
  const [a, b] = await Promise.all([inFlight, queued]);
  assert.equal(a.status, 200);
  assert.deepEqual([...toFloat64(decodeJsonNumpy(a.json))], EXPECTED);
  assert.equal(b.status, 200);
  assert.deepEqual((b.json as PredictResponse).action, EXPECTED);
  await closing;
  assert.ok(performance.now() - released < 2000, 'answers given while closing end their keep-alive connections');
  assert.equal(policy.calls, 2, 'the late request never reached the model');
});

test('PolicyClient: actions, details and errors as PolicyServerError with status and code', async () => {
  await withServer({}, async (url) => {
    const client = new PolicyClient(`${url}/`);
    assert.deepEqual(await client.act(IMAGE, 'Pick up the black bowl', 'libero_spatial'), TestPolicy.expected(IMAGE, 'Pick up the black bowl', 'libero_spatial'));
    assert.deepEqual((await client.predict(IMAGE, 'Pick up the black bowl', 'bridge_orig')).action, EXPECTED);
    await assert.rejects(client.act(IMAGE, 'Pick up the black bowl', 'nope'), (e: unknown) => e instanceof PolicyServerError && e.status === 400 && e.code === 'unknown_unnorm_key' && /libero_spatial/.test(e.message));
    await assert.rejects(client.act(IMAGE, 'Pick up the black bowl'), (e: unknown) => e instanceof PolicyServerError && e.code === 'missing_unnorm_key');
  });
  const gone = new PolicyClient('http://127.0.0.1:1');
  await assert.rejects(gone.health(), (e: unknown) => e instanceof PolicyServerError && e.code === 'unreachable');
});
