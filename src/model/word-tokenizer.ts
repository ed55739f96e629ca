import { openVlaPrompt } from './text-tokenizer.js';

/**
 * A small word-level tokenizer.json for models trained here: OpenVLA's layout scaled down. Ids:
 * 0 <unk>, 1 <s>, 2 </s>, then the words, then unused fillers, and the last 256 ids of the
 * vocabulary (size V) are the action tokens, exactly where OpenVLA puts them.
 */
const PROMPT_WORDS = new Set(splitWords(openVlaPrompt('')));

export function buildWordTokenizer(words: Iterable<string>, vocabSize: number): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const specials = ['<unk>', '<s>', '</s>'];
  const unique = [...new Set([...splitWords(openVlaPrompt('')), ...words])].filter((w) => !specials.includes(w));
  const free = vocabSize - 256 - specials.length;
  if (unique.length > free) throw new Error(`buildWordTokenizer: ${unique.length} words do not fit in a vocabulary of ${vocabSize} (room for ${free})`);
  const vocab: Record<string, number> = {};
  specials.forEach((t, i) => (vocab[t] = i));
  unique.forEach((w, i) => (vocab[w] = specials.length + i));
  for (let i = specials.length + unique.length; i < vocabSize - 256; i++) vocab[`<extra_${i}>`] = i;
  for (let b = 0; b < 256; b++) vocab[`<action_${b}>`] = vocabSize - 256 + b;
  const added = specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    },
    config: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, tokenizer_class: 'PreTrainedTokenizerFast' },
  };
}

/**
 * The words of a tokenizer.json that buildWordTokenizer wrote, beyond the prompt's own, in id order:
 * passed back to it, they rebuild the same ids (a fine-tune keeps its model's vocabulary whatever
 * order new data names the words in).
 */
export function wordTokenizerWords(tokenizer: unknown): string[] {
  const vocab = (tokenizer as { model?: { type?: string; vocab?: Record<string, number> } }).model;
  if (vocab?.type !== 'WordLevel' || !vocab.vocab) throw new Error('not a word-level tokenizer.json (one that train-vla wrote)');
  return Object.entries(vocab.vocab)
    .filter(([w, id]) => id >= 3 && !/^<(extra|action)_\d+>$/.test(w) && !PROMPT_WORDS.has(w))
    .sort((a, b) => a[1] - b[1])
    .map(([w]) => w);
}

/** The words the Whitespace pre-tokenizer makes of a text: runs of word characters, and of other non-space characters. */
export function splitWords(text: string): string[] {
  return text.match(/\w+|[^\w\s]+/g) ?? [];
}
