import { gelu, linear, type Tensor } from '../ops/index.js';
import type { TensorSource } from './llama.js';

/**
 * Prismatic's projector from vision features to the language model's width: fc1-GELU-fc2 for one
 * backbone, fc1-GELU-fc2-GELU-fc3 for the fused pair. Layer widths come from the checkpoint.
 */
export class Projector {
  /** Whether the products run in bf16 (every row; see ops.linear). */
  bf16 = false;

  private constructor(private readonly layers: [Tensor, Tensor][]) {}

  static load(get: TensorSource, prefix: string, visionDim: number, llmDim: number, fused: boolean, shapeOf: (name: string) => readonly number[] | undefined): Projector {
    const names = fused ? ['fc1', 'fc2', 'fc3'] : ['fc1', 'fc2'];
    let inDim = visionDim;
    const layers = names.map((name, i): [Tensor, Tensor] => {
      const outDim = i === names.length - 1 ? llmDim : (shapeOf(`${prefix}${name}.weight`)?.[0] ?? llmDim);
      const w = get(`${prefix}${name}.weight`, [outDim, inDim]);
      const b = get(`${prefix}${name}.bias`, [outDim]);
      inDim = outDim;
      return [w, b];
    });
    return new Projector(layers);
  }

  forward(features: Tensor): Tensor {
    let x = features;
    this.layers.forEach(([w, b], i) => {
      x = linear(x, w, b, { bf16Rows: this.bf16 ? x.rows : 0, frozen: true });
      if (i < this.layers.length - 1) x = gelu(x, 'erf');
    });
    return x;
  }
}
