import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionTokenizer, gripperFromEnv, gripperToEnv, normalizeAction, unnormalizeAction } from './action-tokenizer.js';

const V = 32000;
const tok = new ActionTokenizer(V);

test("OpenVLA's numbers at the edges: -1, 1, bin edges, clipping (golden values from numpy)", () => {
  // numpy: b = linspace(-1, 1, 256); tokens = 32000 - digitize(clip(x, -1, 1), b).
  const xs = [-1, 1, -5, 5, 0, -0.7098039215686275, -0.7098039215686276, 0.0039215686274509665, 0.003921568627450966, 1.0, 0.9999999999999999, 0.5, -0.5, 1e-17];
  assert.deepEqual(tok.encode(xs), [31999, 31744, 31999, 31744, 31872, 31962, 31963, 31871, 31872, 31744, 31745, 31808, 31936, 31872]);
  // The edges are numpy's bit for bit (b[37] is one ulp below -1 + 74/255).
  assert.equal(tok.bins[37], -0.7098039215686275);
  assert.equal(tok.bins[127], -0.0039215686274509665);
  assert.equal(tok.bins[254], 0.9921568627450981);
  assert.equal(tok.bins[255], 1);
  // Centers (b[:-1] + b[1:]) / 2 and the decoding clip: both ends fold onto the outer centers.
  assert.deepEqual(tok.decode([31999, 31872, 31744, 31745, 31963]), [-0.996078431372549, 0, 0.996078431372549, 0.996078431372549, -0.7137254901960784]);
  assert.equal(tok.bin(31999), 0);
  assert.equal(tok.bin(31744), 255);
  assert.throws(() => tok.encode([0, NaN]), /NaN action value/);
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
