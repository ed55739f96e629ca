import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shapeSize, Tensor } from '../ops/index.js';
import { encodeSafetensors, SafetensorsFile, type SafetensorsDType } from '../model/index.js';
import { writeFileAtomic } from './atomic.js';

/** The files of an exported model besides its weights, copied from the first model. */
const COMPANIONS = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/**
 * The uniform average of exported models' weights (a "model soup"). Fine-tunes of one model on
 * different data stay in one basin, and their mean can act more steadily in closed loop than either.
 * The models must be single-file exports with identical config.json (architecture and norm_stats)
 * and the same tensor names and shapes; the result is stored in the first model's dtype.
 */
export function averageWeights(dirs: readonly string[], out: string): { tensors: number; dtype: SafetensorsDType } {
  if (dirs.length < 2) throw new Error('average: give at least two models');
  if (dirs.some((d) => resolve(d) === resolve(out))) throw new Error(`average: --out ${out} is one of the inputs; write to a new folder`);
  const config = (dir: string) => {
    const path = join(dir, 'config.json');
    if (!existsSync(path)) throw new Error(`${dir}: no config.json (not an exported model)`);
    return JSON.stringify(JSON.parse(readFileSync(path, 'utf8')));
  };
  const first = config(dirs[0]!);
  for (const d of dirs.slice(1)) if (config(d) !== first) throw new Error(`${d}: config.json differs from ${dirs[0]}'s; only models of one architecture and one norm_stats can be averaged`);

  const files = dirs.map((d) => SafetensorsFile.open(join(d, 'model.safetensors')));
  const names = [...files[0]!.entries.keys()];
  for (const [i, f] of files.entries()) {
    const extra = [...f.entries.keys()].filter((n) => !files[0]!.entries.has(n));
    const missing = names.filter((n) => !f.entries.has(n));
    if (extra.length || missing.length) throw new Error(`${dirs[i]}: tensors differ from ${dirs[0]}'s (missing: ${missing.slice(0, 3).join(', ') || 'none'}; extra: ${extra.slice(0, 3).join(', ') || 'none'})`);
  }
  const dtype = files[0]!.dtype;
  const mean = new Map<string, Tensor>();
  for (const name of names) {
    const shape = files[0]!.entries.get(name)!.shape;
    const sum = new Float64Array(shapeSize(shape));
    for (const f of files) f.tensor(name, shape).data.forEach((v, i) => (sum[i]! += v));
    mean.set(name, new Tensor(Float32Array.from(sum, (v) => v / files.length), shape));
  }
  mkdirSync(out, { recursive: true });
  for (const c of COMPANIONS) if (existsSync(join(dirs[0]!, c))) copyFileSync(join(dirs[0]!, c), join(out, c));
  writeFileAtomic(join(out, 'model.safetensors'), encodeSafetensors(mean, dtype, { averaged_from: dirs.join(',') }));
  return { tensors: names.length, dtype };
}
