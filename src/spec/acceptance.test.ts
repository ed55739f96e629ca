import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RelaxedAcceptance } from './relaxed-acceptance.js';
import { StrictAcceptance } from './strict-acceptance.js';

const V = 32000;

test('strict accepts only the greedy token', () => {
  const s = new StrictAcceptance();
  assert.ok(s.accepts(31900, 31900, 0));
  assert.ok(!s.accepts(31901, 31900, 0));
});

test('relaxed accepts action tokens within r bins, per dimension', () => {
  const r = new RelaxedAcceptance(V, [3, 3, 3, 3, 3, 3, 0]);
  assert.equal(r.name, 'relaxed:3,3,3,3,3,3,0');
  assert.ok(r.accepts(31900, 31903, 0));
  assert.ok(r.accepts(31903, 31900, 5));
  assert.ok(!r.accepts(31900, 31904, 0));
  assert.ok(!r.accepts(31999, 31998, 6), 'gripper radius 0');
  assert.ok(r.accepts(31998, 31998, 6));
  assert.equal(new RelaxedAcceptance(V, 9).name, 'relaxed:9');
});

test('relaxed never relaxes text tokens or padding ids', () => {
  const r = new RelaxedAcceptance(V, 20);
  assert.ok(r.isActionToken(V - 256) && r.isActionToken(V - 1));
  assert.ok(!r.isActionToken(V - 257) && !r.isActionToken(V));
  assert.ok(!r.accepts(V - 257, V - 256, 0), 'text token next to the first action token');
  assert.ok(!r.accepts(V, V - 1, 0), 'padding id next to the last action token');
  assert.ok(!r.accepts(V - 1, V + 3, 0), 'greedy token is padding');
  assert.ok(r.accepts(V + 3, V + 3, 0), 'identical tokens are always accepted');
});

test('relaxed with r = 0 is strict', () => {
  const r = new RelaxedAcceptance(V, 0);
  const s = new StrictAcceptance();
  for (let a = V - 300; a < V + 10; a += 7) for (let b = V - 300; b < V + 10; b += 5) assert.equal(r.accepts(a, b, 2), s.accepts(a, b));
});

test('relaxed rejects bad radii', () => {
  assert.throws(() => new RelaxedAcceptance(V, -1), /non-negative integer/);
  assert.throws(() => new RelaxedAcceptance(V, [1, 2, 3]), /7 of them/);
  assert.throws(() => new RelaxedAcceptance(V, 1.5), /non-negative integer/);
});
