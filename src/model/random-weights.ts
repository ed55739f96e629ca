import { Tensor } from '../ops/index.js';
import { randomArray, seededRandom } from '../ops/random.js';
import type { TensorSource } from './llama.js';

/**
 * A seeded source of random weights of any requested shape, for tests and demos: norms near 1,
 * everything else uniform in ±scale (large enough that small models make non-trivial choices).
 */
export function randomSource(seed: number, scale = 0.4): TensorSource {
  const rand = seededRandom(seed);
  return (name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = /norm|ln_|\.gamma$/.test(name);
    const t = new Tensor(randomArray(rand, n, isNorm ? 0.2 : scale), shape);
    if (isNorm && !name.endsWith('.bias')) for (let i = 0; i < n; i++) t.data[i] += 1;
    return t;
  };
}
