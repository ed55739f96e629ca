import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatRows, Tape, Tensor } from '../ops/index.js';
import { maxAbsDiff } from '../ops/testing.js';
import { initLlamaBlock, llamaBlock, type LlamaBlockConfig } from './llama-block.js';
import { Initializer, ParamSet } from './params.js';
import { initVitBlock, vitBlock, type VitBlockConfig } from './vit-block.js';

/** Whole blocks against finite differences: the composition wires every gradient through. */
function checkBlock(build: (tape: Tape, params: ParamSet, x: Tensor) => Tensor | ReturnType<Tape['dot']>, params: ParamSet, x: Tensor): void {
  const loss = (): number => {
    const tape = new Tape();
    return (build(tape, params, x) as ReturnType<Tape['dot']>).value.data[0]!;
  };
  const tape = new Tape();
  const out = build(tape, params, x) as ReturnType<Tape['dot']>;
  tape.backward(out);
  const eps = 1e-2;
  for (const [name, v] of params.vars) {
    const g = v.grad!;
    assert.ok(g, `${name} got no gradient`);
    const scale = Math.max(1e-4, ...Array.from(g.data, Math.abs));
    for (const i of [0, Math.floor(v.value.size / 2), v.value.size - 1]) {
      const keep = v.value.data[i]!;
      v.value.data[i] = keep + eps;
      const up = loss();
      v.value.data[i] = keep - eps;
      const down = loss();
      v.value.data[i] = keep;
      const err = Math.abs((up - down) / (2 * eps) - g.data[i]!) / scale;
      assert.ok(err < 2e-3, `${name}[${i}]: analytic ${g.data[i]} vs numeric ${(up - down) / (2 * eps)}`);
    }
  }
}

test('Llama block (with and without input norm, GQA, causal mask) backpropagates correctly', () => {
  for (const inputNorm of [true, false]) {
    const cfg: LlamaBlockConfig = { hidden: 8, intermediate: 12, nHeads: 4, nKvHeads: 2, ropeTheta: 10000, eps: 1e-6, inputNorm };
    const params = new ParamSet();
    const init = new Initializer(3);
    initLlamaBlock(params, 'b', cfg, init, 0.3);
    const T = 5;
    const proj = init.normal([T, 8], 1);
    checkBlock((tape, p, x) => tape.dot(llamaBlock(tape, p, 'b', tape.constant(x), Int32Array.of(0, 1, 2, 3, 4), [T], cfg), proj), params, init.normal([T, 8], 1));
    assert.equal(params.has('b.input_layernorm.weight'), inputNorm);
  }
});

test('ViT block (with LayerScale) backpropagates correctly', () => {
  const cfg: VitBlockConfig = { width: 8, mlpHidden: 16, nHeads: 2, eps: 1e-6, layerScale: true };
  const params = new ParamSet();
  const init = new Initializer(4);
  initVitBlock(params, 'v', cfg, init, 0.3);
  const proj = init.normal([6, 8], 1);
  checkBlock((tape, p, x) => tape.dot(vitBlock(tape, p, 'v', tape.constant(x), cfg), proj), params, init.normal([6, 8], 1));
});

test('stacked sequences (segments) give each sequence exactly what it gets alone', () => {
  const cfg: LlamaBlockConfig = { hidden: 8, intermediate: 12, nHeads: 2, nKvHeads: 1, ropeTheta: 10000, eps: 1e-6, inputNorm: true };
  const params = new ParamSet();
  const init = new Initializer(5);
  initLlamaBlock(params, 'b', cfg, init, 0.3);
  const a = init.normal([3, 8], 1);
  const b = init.normal([4, 8], 1);
  const alone = (x: Tensor) => llamaBlock(new Tape(), params, 'b', new Tape().constant(x), Int32Array.from({ length: x.rows }, (_, i) => i), [x.rows], cfg).value;
  const tape = new Tape();
  const stacked = llamaBlock(tape, params, 'b', tape.constant(concatRows([a, b])), Int32Array.of(0, 1, 2, 0, 1, 2, 3), [3, 4], cfg).value;
  assert.ok(maxAbsDiff(stacked.data, concatRows([alone(a), alone(b)]).data) < 1e-5);
  const vcfg: VitBlockConfig = { width: 8, mlpHidden: 16, nHeads: 2, eps: 1e-6, layerScale: false };
  initVitBlock(params, 'v', vcfg, init, 0.3);
  const vAlone = (x: Tensor) => vitBlock(new Tape(), params, 'v', new Tape().constant(x), vcfg).value;
  const vt = new Tape();
  const vStacked = vitBlock(vt, params, 'v', vt.constant(concatRows([a, b])), vcfg, [3, 4]).value;
  assert.ok(maxAbsDiff(vStacked.data, concatRows([vAlone(a), vAlone(b)]).data) < 1e-5);
});
