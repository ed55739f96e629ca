import { add, attention, concatRows, embedding, gelu, layerNorm, linear, mul, Tensor } from '../ops/index.js';
import type { VitConfig } from './config.js';
import type { TensorSource } from './llama.js';

/** Which camera an image comes from: the agent view, or the wrist camera (VitConfig.wristImageSize). */
export type ImageView = 'agent' | 'wrist';

/** The square input size of a view's image. */
export function viewImageSize(cfg: VitConfig, view: ImageView): number {
  return view === 'agent' ? cfg.imageSize : cfg.wristImageSize;
}

interface VitBlockWeights {
  norm1: [Tensor, Tensor];
  /** timm's fused qkv weight [3·width, width], split into its q, k, v row blocks (views, no copy). */
  q: [Tensor, Tensor];
  k: [Tensor, Tensor];
  v: [Tensor, Tensor];
  proj: [Tensor, Tensor];
  norm2: [Tensor, Tensor];
  fc1: [Tensor, Tensor];
  fc2: [Tensor, Tensor];
  ls1: Tensor | null;
  ls2: Tensor | null;
}

/**
 * A timm VisionTransformer as OpenVLA uses it (DINOv2 with registers and LayerScale, or SigLIP):
 * patch embedding, position embedding, class and register tokens, pre-norm blocks. `forward`
 * returns the patch tokens after the SECOND-TO-LAST block, without the final norm.
 */
export class VisionTransformer {
  /** Whether the products run in bf16 (every patch row; see ops.linear). */
  bf16 = false;

  private constructor(
    readonly cfg: VitConfig,
    private readonly patchW: Tensor,
    private readonly patchB: Tensor,
    private readonly posEmbed: Tensor,
    /** The wrist view's position table [wrist patches, width] (VitConfig.wristImageSize), or null. */
    private readonly wristPosEmbed: Tensor | null,
    private readonly cls: Tensor | null,
    private readonly reg: Tensor | null,
    private readonly blocks: VitBlockWeights[],
  ) {}

  /** Patches of the agent view, or of the wrist view. */
  numPatches(view: ImageView = 'agent'): number {
    return (viewImageSize(this.cfg, view) / this.cfg.patchSize) ** 2;
  }

  static load(get: TensorSource, prefix: string, cfg: VitConfig): VisionTransformer {
    const { width: d, patchSize: p } = cfg;
    const n = (cfg.imageSize / p) ** 2;
    const posRows = probeRows(get, `${prefix}pos_embed`, cfg.classToken ? [n, n + 1] : [n], d);
    const pair = (name: string, shape: number[]): [Tensor, Tensor] => [get(`${name}.weight`, shape), get(`${name}.bias`, [shape[0]!])];
    const blocks: VitBlockWeights[] = [];
    // The last block's output is never used: OpenVLA reads the second-to-last block.
    for (let i = 0; i < cfg.depth - 1; i++) {
      const b = `${prefix}blocks.${i}`;
      const [qkvW, qkvB] = pair(`${b}.attn.qkv`, [3 * d, d]);
      blocks.push({
        norm1: pair(`${b}.norm1`, [d]),
        q: [qkvW.slice(0, d), qkvB.slice(0, d)],
        k: [qkvW.slice(d, 2 * d), qkvB.slice(d, 2 * d)],
        v: [qkvW.slice(2 * d, 3 * d), qkvB.slice(2 * d, 3 * d)],
        proj: pair(`${b}.attn.proj`, [d, d]),
        norm2: pair(`${b}.norm2`, [d]),
        fc1: pair(`${b}.mlp.fc1`, [cfg.mlpHidden, d]),
        fc2: pair(`${b}.mlp.fc2`, [d, cfg.mlpHidden]),
        ls1: cfg.layerScale ? get(`${b}.ls1.gamma`, [d]) : null,
        ls2: cfg.layerScale ? get(`${b}.ls2.gamma`, [d]) : null,
      });
    }
    return new VisionTransformer(
      cfg,
      get(`${prefix}patch_embed.proj.weight`, [d, 3, p, p]).reshape([d, 3 * p * p]),
      get(`${prefix}patch_embed.proj.bias`, [d]),
      posRows,
      cfg.wristImageSize > 0 ? get(`${prefix}wrist_pos_embed`, [1, (cfg.wristImageSize / p) ** 2, d]).reshape([(cfg.wristImageSize / p) ** 2, d]) : null,
      cfg.classToken ? get(`${prefix}cls_token`, [1, 1, d]).reshape([1, d]) : null,
      cfg.registers > 0 ? get(`${prefix}reg_token`, [1, cfg.registers, d]).reshape([cfg.registers, d]) : null,
      blocks,
    );
  }

  /** patches [numPatches, 3·p·p] (see image.ts patchify) -> patch tokens [numPatches, width]; the view picks the position table. */
  forward(patches: Tensor, view: ImageView = 'agent'): Tensor {
    if (view === 'wrist' && !this.wristPosEmbed) throw new Error('VisionTransformer: this model has no wrist view');
    const n = this.numPatches(view);
    if (patches.rows !== n) throw new Error(`VisionTransformer: ${patches.rows} patches, expected ${n} (${view} view)`);
    const embedded = this.linear(patches, this.patchW, this.patchB);
    // Position embeddings cover the patches, plus the class token when the table has one more row.
    const posForCls = this.posEmbed.rows === this.numPatches('agent') + 1;
    const tokens = add(embedded, view === 'wrist' ? this.wristPosEmbed! : posForCls ? this.posEmbed.slice(1, n + 1) : this.posEmbed);
    const prefix: Tensor[] = [];
    if (this.cls) prefix.push(posForCls ? add(this.cls, this.posEmbed.slice(0, 1)) : this.cls);
    if (this.reg) prefix.push(this.reg);
    let x = prefix.length ? concatRows([...prefix, tokens]) : tokens;
    for (const b of this.blocks) x = this.block(x, b);
    return x.slice(x.rows - n, x.rows);
  }

  private block(x: Tensor, b: VitBlockWeights): Tensor {
    const { eps, nHeads, gelu: kind } = this.cfg;
    const h = layerNorm(x, ...b.norm1, eps);
    const a = attention(this.linear(h, ...b.q), this.linear(h, ...b.k), this.linear(h, ...b.v), null, { nHeads, nKvHeads: nHeads });
    let y = this.linear(a, ...b.proj);
    if (b.ls1) y = mul(y, b.ls1);
    const x1 = add(x, y);
    let m = this.linear(gelu(this.linear(layerNorm(x1, ...b.norm2, eps), ...b.fc1), kind), ...b.fc2);
    if (b.ls2) m = mul(m, b.ls2);
    return add(x1, m);
  }

  private linear(x: Tensor, w: Tensor, bias: Tensor): Tensor {
    return linear(x, w, bias, { bf16Rows: this.bf16 ? x.rows : 0, frozen: true });
  }
}

/** Reads a [1, rows, d] table whose row count may be one of `rows` (timm's pos_embed with or without the class token). */
function probeRows(get: TensorSource, name: string, rows: number[], d: number): Tensor {
  let last: Error | undefined;
  for (const r of rows) {
    try {
      return get(name, [1, r, d]).reshape([r, d]);
    } catch (e) {
      last = e as Error;
      if (!/shape/.test(last.message)) throw last;
    }
  }
  throw last!;
}

/**
 * Row order that groups each k x k block of a grid x grid patch layout: for output token (i, j), the
 * patches (i·k + a, j·k + b) for a, b in 0..k-1. Gathering rows in this order and reshaping to
 * [grid² / k², k²·D] concatenates each block's features into one token.
 */
export function mergeOrder(grid: number, k: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < grid / k; i++) for (let j = 0; j < grid / k; j++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) out.push((i * k + a) * grid + j * k + b);
  return Int32Array.from(out);
}

/** Patch features [grid², D] -> [grid²/k², k²·D] (see VitConfig.merge). */
export function mergePatches(features: Tensor, grid: number, k: number): Tensor {
  if (k === 1) return features;
  if (features.rows !== grid * grid) throw new Error(`mergePatches: ${features.rows} rows for a ${grid} x ${grid} grid`);
  return embedding(features, mergeOrder(grid, k)).reshape([(grid * grid) / (k * k), k * k * features.cols]);
}
