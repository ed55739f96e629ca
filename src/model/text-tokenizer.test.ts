import assert from 'node:assert/strict';
import { test } from 'node:test';
import llamaTokenizerJs from 'llama-tokenizer-js';
import { ActionTokenizer } from './action-tokenizer.js';
import { TextTokenizer, openVlaPrompt } from './text-tokenizer.js';
import { buildWordTokenizer, wordTokenizerWords } from './word-tokenizer.js';

/**
 * Llama-2's tokenizer.json, rebuilt from the vocabulary and merge list that the dev fixture
 * llama-tokenizer-js ships (extracted from Llama's own tokenizer.json), with the normalizer, decoder
 * and special tokens of the Hugging Face file.
 */
function llama2TokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  llamaTokenizerJs.vocabById.forEach((token, id) => (vocab[token] = id));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: [...llamaTokenizerJs.merges.keys()] },
  };
}

test("OpenVLA's prompt on the real Llama-2 tokenizer: BOS first, token 29871 appended, action ids 31744..31999", () => {
  const tok = TextTokenizer.fromJson(llama2TokenizerJson(), { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' }, 'llama-2 tokenizer.json');
  assert.equal(tok.vocab.size, 32000);
  assert.equal(tok.spaceId, 29871);
  const instruction = 'Pick up the black bowl';
  const ids = tok.promptIds(instruction);
  // An independent BPE implementation over the same vocabulary and merges agrees token for token.
  assert.deepEqual(ids.slice(0, -1), llamaTokenizerJs.encode(openVlaPrompt(instruction)));
  assert.equal(ids[0], 1);
  assert.equal(ids[ids.length - 2], 29901, '"Out:" ends with ":"');
  assert.equal(ids[ids.length - 1], 29871, 'OpenVLA appends the SentencePiece space token');
  assert.equal(tok.decode(ids.slice(1, -1)), openVlaPrompt(instruction));
  assert.ok(openVlaPrompt('Pick UP').includes('pick up?'), 'instructions are lower-cased');
  // text_config.vocab_size 32064 - pad_to_multiple_of 64: the 256 action tokens are the last ids of the real vocabulary.
  const actions = new ActionTokenizer(32064 - 64);
  assert.deepEqual(actions.encode([1, -1]), [31744, 31999]);
  assert.ok(actions.isActionToken(31744) && actions.isActionToken(31999) && !actions.isActionToken(31743) && !actions.isActionToken(32000));
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

test('word tokenizer: its words beyond the prompt, in id order, rebuild the same tokenizer whatever order they first came in', () => {
  const words = ['put', 'the', 'bowl', 'in', 'to', 'drawer', 'pick', 'up', 'block'];
  const built = buildWordTokenizer(words, 300);
  const back = wordTokenizerWords(built.tokenizer);
  assert.deepEqual(back, ['put', 'bowl', 'in', 'drawer', 'pick', 'up', 'block'], '"the" and "to" are prompt words');
  assert.deepEqual(buildWordTokenizer(back, 300), built);
  assert.notDeepEqual(buildWordTokenizer([...words].reverse(), 300), built, 'another order gives other ids');
  assert.throws(() => wordTokenizerWords({ model: { type: 'BPE', vocab: {} } }), /not a word-level tokenizer/);
});
