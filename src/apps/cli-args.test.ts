import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonNegative, parseSuites, positiveInt, probability, storageDType } from './cli-args.js';

test('option parsers accept what they name and reject the rest with the value in the message', () => {
  assert.equal(positiveInt('12'), 12);
  for (const bad of ['0', '-3', '1.5', 'x']) assert.throws(() => positiveInt(bad), new RegExp(`got "${bad}"`));
  assert.equal(nonNegative('0'), 0);
  assert.throws(() => nonNegative(' '), /expected a number >= 0/);
  assert.equal(probability('0.3'), 0.3);
  assert.throws(() => probability('1.5'), /\[0, 1\]/);
});

test('suites: all, or a list of known names', () => {
  assert.deepEqual(parseSuites('all'), ['spatial', 'object', 'goal', 'long']);
  assert.deepEqual(parseSuites('goal,spatial'), ['goal', 'spatial']);
  assert.throws(() => parseSuites('spatial,kitchen'), /unknown suite "kitchen"/);
});

test('storage dtypes: any case in, the safetensors name out; the message lists every dtype', () => {
  assert.equal(storageDType('bf16'), 'BF16');
  assert.equal(storageDType('I8'), 'I8');
  assert.throws(() => storageDType('q4'), /expected one of F32, F16, BF16, I8, got "q4"/);
});
