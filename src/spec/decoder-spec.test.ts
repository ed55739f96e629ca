import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptanceFor, parseDecoderSpec } from './decoder-spec.js';

test('decoder specs parse', () => {
  assert.deepEqual(parseDecoderSpec('ar'), { kind: 'ar', tree: { depth: 0, topK: 1, totalTokens: 1 }, prior: false });
  assert.deepEqual(parseDecoderSpec('strict'), { kind: 'strict', tree: 'auto', prior: false });
  assert.deepEqual(parseDecoderSpec('relaxed:9@4,4,17'), { kind: 'relaxed', radii: [9, 9, 9, 9, 9, 9, 9], tree: { depth: 4, topK: 4, totalTokens: 17 }, prior: false });
  assert.deepEqual(parseDecoderSpec('relaxed:9@4,4,17+prior'), { kind: 'relaxed', radii: [9, 9, 9, 9, 9, 9, 9], tree: { depth: 4, topK: 4, totalTokens: 17 }, prior: true });
  assert.equal(parseDecoderSpec('strict+prior').prior, true);
  assert.deepEqual(parseDecoderSpec('relaxed:9,9,9,9,9,9,0@auto').radii, [9, 9, 9, 9, 9, 9, 0]);
  assert.equal(acceptanceFor(parseDecoderSpec('relaxed:3'), 32000).name, 'relaxed:3');
  assert.equal(acceptanceFor(parseDecoderSpec('strict'), 32000).name, 'strict');
});

test('bad decoder specs say what is wrong', () => {
  assert.throws(() => parseDecoderSpec('fast'), /invalid decoder "fast": unknown decoder/);
  assert.throws(() => parseDecoderSpec('relaxed:1,2'), /2 radii given/);
  assert.throws(() => parseDecoderSpec('relaxed:-1'), /unknown decoder/);
  assert.throws(() => parseDecoderSpec('strict@4,4'), /tree must be/);
  assert.throws(() => parseDecoderSpec('ar@auto'), /ar takes no tree/);
  assert.throws(() => parseDecoderSpec('ar+prior'), /no prior/);
  assert.throws(() => parseDecoderSpec('strict+prior@auto'), /tree must be|unknown decoder/);
  assert.throws(() => parseDecoderSpec('strict@4,0,10'), /at least 1/);
});
