import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

type Json = Record<string, unknown>;

/** OpenVLA's prompt around the (lower-cased) instruction. */
export function openVlaPrompt(instruction: string): string {
  return `In: What action should the robot take to ${instruction.toLowerCase()}?\nOut:`;
}

/**
 * A Hugging Face tokenizer loaded from a local tokenizer.json (+ tokenizer_config.json), through
 * @huggingface/tokenizers. `promptIds` builds OpenVLA's input: BOS, the prompt, and the SentencePiece
 * space token ("▁", 29871 in Llama-2) appended when the prompt does not already end with it.
 */
export class TextTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly vocab: ReadonlyMap<string, number>,
    readonly bosId: number,
    readonly unkId: number,
    readonly spaceId: number | undefined,
  ) {}

  static fromJson(tokenizerJson: Json, config: Json = {}, where = 'tokenizer.json'): TextTokenizer {
    const model = tokenizerJson.model as { vocab?: Record<string, number> | [string, number][]; unk_token?: string } | undefined;
    if (!model || !model.vocab) throw new Error(`${where}: no model.vocab`);
    const vocab = new Map<string, number>(Array.isArray(model.vocab) ? model.vocab.map(([t], i) => [t, i]) : Object.entries(model.vocab));
    for (const t of (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? []) vocab.set(t.content, t.id);
    const bosToken = typeof config.bos_token === 'string' ? config.bos_token : '<s>';
    const bosId = vocab.get(bosToken);
    if (bosId === undefined) throw new Error(`${where}: no BOS token "${bosToken}"`);
    const unkId = vocab.get(model.unk_token ?? '<unk>') ?? 0;
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (e) {
      throw new Error(`${where}: cannot build the tokenizer (${(e as Error).message})`);
    }
    return new TextTokenizer(tokenizer, vocab, bosId, unkId, vocab.get('▁'));
  }

  static load(dir: string): TextTokenizer {
    const path = join(dir, 'tokenizer.json');
    if (!existsSync(path)) throw new Error(`${dir}: no tokenizer.json`);
    const read = (p: string): Json => {
      try {
        return JSON.parse(readFileSync(p, 'utf8')) as Json;
      } catch (e) {
        throw new Error(`${p}: not valid JSON (${(e as Error).message})`);
      }
    };
    const cfgPath = join(dir, 'tokenizer_config.json');
    return TextTokenizer.fromJson(read(path), existsSync(cfgPath) ? read(cfgPath) : {}, path);
  }

  /** Token ids of `text` without special tokens; words outside the vocabulary become the unknown token. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids.map((id: number | undefined) => id ?? this.unkId);
  }

  /** BOS + OpenVLA's prompt for `instruction` (+ the space token, as OpenVLA's predict_action adds it). */
  promptIds(instruction: string): number[] {
    const ids = [this.bosId, ...this.encode(openVlaPrompt(instruction))];
    if (this.spaceId !== undefined && ids[ids.length - 1] !== this.spaceId) ids.push(this.spaceId);
    return ids;
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids);
  }
}
