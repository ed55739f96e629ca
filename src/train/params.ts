import { Tensor, Var } from '../ops/index.js';
import { gaussian, seededRandom } from '../ops/random.js';

/** Trainable weights by their checkpoint name (Hugging Face layout), so saving is a plain walk. */
export class ParamSet {
  readonly vars = new Map<string, Var>();

  get(name: string): Var {
    const v = this.vars.get(name);
    if (!v) throw new Error(`parameter ${name} is missing`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  set(name: string, value: Tensor, trainable = true): Var {
    const v = new Var(value, trainable);
    this.vars.set(name, v);
    return v;
  }

  trainable(): Var[] {
    return [...this.vars.values()].filter((v) => v.requiresGrad);
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.value.size;
    return n;
  }
}

/** Deterministic initializers (seeded), so a training run is reproducible from its seed. */
export class Initializer {
  private readonly rand: () => number;

  constructor(seed: number) {
    this.rand = seededRandom(seed);
  }

  /** Normal(0, std) by Box-Muller. */
  normal(shape: number[], std: number): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = std * gaussian(this.rand);
    return t;
  }

  ones(shape: number[]): Tensor {
    const t = Tensor.zeros(shape);
    t.data.fill(1);
    return t;
  }

  zeros(shape: number[]): Tensor {
    return Tensor.zeros(shape);
  }

  constant(shape: number[], value: number): Tensor {
    const t = Tensor.zeros(shape);
    t.data.fill(value);
    return t;
  }
}
