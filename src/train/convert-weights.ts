import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Tensor } from '../ops/index.js';
import { encodeSafetensors, SafetensorsFile, type SafetensorsDType } from '../model/index.js';
import { writeFileAtomic } from './atomic.js';

/**
 * Copies a model folder (a target, a draft, or a folder holding both) with every `.safetensors`
 * file re-stored as `dtype`; the other files (config, tokenizer, shard index) are copied as they
 * are. A `checkpoint/` folder (a training run's resume state, not part of the model) is left
 * out. I8 halves a BF16 model on disk, which is what lets several per-suite models ship in the
 * repository; weights are decoded back to float32 when loaded, so compute does not change.
 */
export function convertWeights(dir: string, out: string, dtype: SafetensorsDType): { files: number; bytesBefore: number; bytesAfter: number } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`convert: ${dir} is not a folder`);
  // Outside means a path that climbs out of dir: "..", "../x" or another root; "..x" is a folder inside it.
  const rel = relative(resolve(dir), resolve(out));
  if (!(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))) throw new Error(`convert: --out ${out} lies inside ${dir}; write to a new folder`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`convert: ${out} exists and is not empty; write to a new folder`);
  const result = { files: 0, bytesBefore: 0, bytesAfter: 0 };
  const walk = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from).sort()) {
      const src = join(from, name);
      const dst = join(to, name);
      if (statSync(src).isDirectory()) {
        if (name !== 'checkpoint') walk(src, dst);
      } else if (name.endsWith('.safetensors')) {
        const file = SafetensorsFile.open(src);
        const tensors = new Map<string, Tensor>([...file.entries.keys()].map((n) => [n, file.tensor(n)]));
        const bytes = encodeSafetensors(tensors, dtype, file.metadata);
        writeFileAtomic(dst, bytes);
        result.files++;
        result.bytesBefore += statSync(src).size;
        result.bytesAfter += bytes.length;
      } else {
        copyFileSync(src, dst);
      }
    }
  };
  walk(dir, out);
  if (result.files === 0) throw new Error(`convert: no .safetensors file under ${dir}`);
  return result;
}
