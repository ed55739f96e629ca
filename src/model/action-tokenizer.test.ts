import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionTokenizer, gripperFromEnv, gripperToEnv, normalizeAction, unnormalizeAction } from './action-tokenizer.js';

const V = 32000;
const tok = new ActionTokenizer(V);

test("OpenVLA's numbers at the edges: -1, 1, bin edges, clipping", () => {
  // digitize(-1) = 1 -> V - 1; digitize(1) = 256 -> V - 256 (action ids 31744..31999).
  assert.deepEqual(tok.encode([-1, 1, -5, 5]), [31999, 31744, 31999, 31744]);
  // A value exactly on an edge belongs to the bin above it (right=False).
  const edge = tok.bins[100]!;
  assert.deepEqual(tok.encode([edge, edge - 1e-9]), [V - 101, V - 100]);
  assert.deepEqual(tok.encode([0]), [V - 128]); // 0 lies in bin 128: bins[127] < 0 < bins[128]
  assert.ok(Math.abs(tok.bins[127]! - -1 / 255) < 1e-15);
  // Decoding the extreme tokens: both ends clip to the outer centers.
  const [lo, hi] = tok.decode([31999, 31744]);
  assert.ok(Math.abs(lo! - (-1 + 1 / 255)) < 1e-12);
  assert.ok(Math.abs(hi! - (1 - 1 / 255)) < 1e-12);
  assert.deepEqual(tok.decode([31745]), tok.decode([31744]), 'tokens V-256 and V-255 both decode to the top center');
  assert.equal(tok.bin(31999), 0);
  assert.equal(tok.bin(31744), 255);
});

test('every one of the 256 tokens round-trips through its decoded value', () => {
  for (let t = V - 256; t < V; t++) {
    const a = tok.decode([t])[0]!;
    const back = tok.encode([a])[0]!;
    // The top token (digitize = 256, a = 1 exactly) decodes to the last center, which encodes as V - 255.
    assert.equal(back, t === V - 256 ? V - 255 : t, `token ${t} -> ${a} -> ${back}`);
  }
  assert.ok(tok.isActionToken(V - 256) && !tok.isActionToken(V - 257) && !tok.isActionToken(V));
});

test('un-normalization with q01/q99 and an unmasked gripper; normalization inverts it', () => {
  const stats = { q01: [-0.5, 0, 0, 0, 0, 0, 0], q99: [0.5, 2, 1, 1, 1, 1, 1], mask: [true, true, true, true, true, true, false] };
  const x = unnormalizeAction([0, 1, -1, 0, 0, 0, 0.7], stats);
  assert.deepEqual(x, [0, 2, 0, 0.5, 0.5, 0.5, 0.7]);
  const n = normalizeAction(x, stats);
  [0, 1, -1, 0, 0, 0, 0.7].forEach((v, i) => assert.ok(Math.abs(n[i]! - v) < 1e-12));
  assert.equal(gripperToEnv(0), 1, 'dataset 0 = close = env +1');
  assert.equal(gripperToEnv(1), -1, 'dataset 1 = open = env -1');
  assert.equal(gripperFromEnv(1), 0);
  assert.equal(gripperFromEnv(-1), 1);
});
