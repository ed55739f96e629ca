import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tensor } from '../ops/index.js';
import { Checkpoint, encodeSafetensors, SafetensorsFile } from './safetensors.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-st-'));
after(() => rmSync(root, { recursive: true, force: true }));

// Values exact in bf16 and f16 (few mantissa bits, moderate exponents), so every dtype round-trips exactly.
const a = Tensor.from([1, -2, 0.5, 3.25, -0.125, 96], [2, 3]);
const b = Tensor.from([0.75, -1.5, 6, 0], [4]);

function write(name: string, bytes: Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

/** A hand-made file: header JSON (not padded) followed by `data`. */
function handMade(header: unknown, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

test('F32, F16 and BF16 files round-trip, with metadata and 8-byte aligned data', () => {
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    const bytes = encodeSafetensors(new Map([['b', b], ['a', a]]), dtype, { format: 'pt' });
    assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0, 'header padded so the data starts aligned');
    const file = SafetensorsFile.open(write(`rt-${dtype}.safetensors`, bytes));
    assert.deepEqual(file.metadata, { format: 'pt' });
    assert.deepEqual(file.entries.get('a')!.dtype, dtype);
    assert.deepEqual([...file.tensor('a', [2, 3]).data], [...a.data], dtype);
    assert.deepEqual(file.tensor('b').shape, [4]);
    assert.deepEqual([...file.tensor('b').data], [...b.data], dtype);
  }
});

test('bf16 rounds to nearest even when written, and tensors at odd data offsets read correctly', () => {
  // 1 + 2^-8 lies exactly between two bf16 values (1 and 1 + 2^-7): ties go to the even one, 1.
  const file = SafetensorsFile.open(write('round.safetensors', encodeSafetensors(new Map([['x', Tensor.from([1 + 2 ** -8, 1 + 3 * 2 ** -8], [2])]]), 'BF16')));
  assert.deepEqual([...file.tensor('x').data], [1, 1 + 2 ** -6]);
  // An unpadded header of odd length puts the f32 data at an unaligned file offset.
  const data = new Uint8Array(new Float32Array([1.5, -2.5]).buffer);
  let header = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: { pad: '' } };
  while (JSON.stringify(header).length % 2 === 0) header = { ...header, __metadata__: { pad: header.__metadata__.pad + 'x' } };
  const odd = SafetensorsFile.open(write('odd.safetensors', handMade(header, data)));
  assert.deepEqual([...odd.tensor('w').data], [1.5, -2.5]);
});

test('a sharded checkpoint reads tensors through model.safetensors.index.json', () => {
  const dir = join(root, 'sharded');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), encodeSafetensors(new Map([['a', a]]), 'BF16'));
  writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), encodeSafetensors(new Map([['b', b]]), 'F32'));
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00003-of-00002.safetensors' } }));
  const ckpt = Checkpoint.open(dir);
  assert.deepEqual(ckpt.names().sort(), ['a', 'b', 'c']);
  assert.deepEqual(ckpt.shape('a'), [2, 3]);
  assert.deepEqual([...ckpt.tensor('a', [2, 3]).data], [...a.data]);
  assert.deepEqual([...ckpt.tensor('b', [4]).data], [...b.data]);
  assert.throws(() => ckpt.tensor('zzz'), /tensor zzz is missing from the checkpoint/);
  assert.throws(() => ckpt.tensor('c'), /model-00003-of-00002\.safetensors: file not found/);
});

test('broken files give errors that name the file, the tensor and the problem', () => {
  const good = encodeSafetensors(new Map([['a', a], ['b', b]]));
  const file = SafetensorsFile.open(write('good.safetensors', good));
  assert.throws(() => file.tensor('c'), /good\.safetensors: tensor c is missing/);
  assert.throws(() => file.tensor('a', [3, 2]), /tensor a has shape \[2, 3\], expected \[3, 2\]/);

  const cut = write('cut.safetensors', good);
  truncateSync(cut, good.length - 4);
  assert.throws(() => SafetensorsFile.open(cut), /tensor b ends at data byte 40 but the file holds 36 data bytes \(truncated file\)/);
  truncateSync(cut, 20);
  assert.throws(() => SafetensorsFile.open(cut), /not a safetensors file, or truncated \(header length \d+ for a file of 20 bytes\)/);

  assert.throws(() => SafetensorsFile.open(write('tiny.bin', Buffer.from('abc'))), /not a safetensors file \(only 3 bytes\)/);
  assert.throws(() => SafetensorsFile.open(write('text.bin', Buffer.from('hello, this is not a checkpoint at all'))), /not a safetensors file/);
  assert.throws(() => SafetensorsFile.open(write('nojson.bin', Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]))), /header is not JSON/);
  assert.throws(() => SafetensorsFile.open(write('array.bin', handMade([1, 2], new Uint8Array(0)))), /header is not a JSON object/);
  assert.throws(() => SafetensorsFile.open(write('malformed.bin', handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)))), /tensor w has a malformed header entry/);

  const i64 = SafetensorsFile.open(write('i64.safetensors', handMade({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))));
  assert.throws(() => i64.tensor('ids'), /tensor ids has dtype I64; supported: F32, F16, BF16/);
  const named = SafetensorsFile.open(write('proto.safetensors', handMade({ w: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))));
  assert.throws(() => named.tensor('w'), /tensor w has dtype constructor; supported: F32, F16, BF16, I8/);
  const short = SafetensorsFile.open(write('short.safetensors', handMade({ w: { dtype: 'BF16', shape: [3], data_offsets: [0, 4] } }, new Uint8Array(4))));
  assert.throws(() => short.tensor('w'), /tensor w holds 4 bytes, but \[3\] BF16 needs 6/);

  assert.throws(() => Checkpoint.open(join(root, 'nowhere')), /no model\.safetensors or model\.safetensors\.index\.json/);
  const badIndex = join(root, 'badindex');
  mkdirSync(badIndex);
  writeFileSync(join(badIndex, 'model.safetensors.index.json'), '{ "weight_map": ');
  assert.throws(() => Checkpoint.open(badIndex), /model\.safetensors\.index\.json: not valid JSON/);
});

test('I8 stores matrices channel-wise int8 beside a hidden _scale, each value within half a step, vectors exact', () => {
  const rnd = (i: number) => Math.sin(i * 12.9898) * 43758.5453 % 1;
  const m = Tensor.from(Array.from({ length: 5 * 7 }, (_, i) => (i < 7 ? 0 : rnd(i) * (1 + (i % 5)))), [5, 7]);
  const conv = Tensor.from(Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => rnd(i + 100)), [2, 3, 2, 2]);
  const bytes = encodeSafetensors(new Map([['m', m], ['conv', conv], ['b', b]]), 'I8', { format: 'pt' });
  const file = SafetensorsFile.open(write('i8.safetensors', bytes));
  assert.equal(file.dtype, 'I8');
  assert.deepEqual([...file.entries.keys()].sort(), ['b', 'conv', 'm'], 'the scales are not tensors of their own');
  assert.equal(file.entries.get('m')!.dtype, 'I8');
  assert.deepEqual([...file.tensor('b').data], [...b.data], 'vectors stay F32');
  for (const [name, t] of [['m', m], ['conv', conv]] as const) {
    const back = file.tensor(name, t.shape);
    const rows = t.shape[0]!;
    const cols = t.size / rows;
    for (let r = 0; r < rows; r++) {
      const row = [...t.data.subarray(r * cols, (r + 1) * cols)];
      const step = Math.max(...row.map(Math.abs)) / 127;
      row.forEach((v, c) => assert.ok(Math.abs(back.data[r * cols + c]! - v) <= step / 2 + 1e-7, `${name}[${r}, ${c}]: ${back.data[r * cols + c]} for ${v}, step ${step}`));
      // The row's largest magnitude is exact (it maps to +-127), which a wrong axis for the scales breaks.
      const iMax = row.map(Math.abs).indexOf(Math.max(...row.map(Math.abs)));
      assert.ok(Math.abs(back.data[r * cols + iMax]! - row[iMax]!) <= 1e-6 * Math.abs(row[iMax]!) + 1e-12, `${name} row ${r} keeps its largest value`);
    }
  }
  assert.deepEqual([...file.tensor('m').data.subarray(0, 7)], [0, 0, 0, 0, 0, 0, 0], 'an all-zero row stays zero');
  assert.throws(() => encodeSafetensors(new Map([['m', m], ['m_scale', a]]), 'I8'), /m_scale would hold the int8 scale of m/);
});

test('an I8 tensor without its scale, or with a scale of the wrong shape, is refused by name', () => {
  const q = new Uint8Array([1, 2, 3, 4, 5, 6]);
  assert.throws(() => SafetensorsFile.open(write('noscale.safetensors', handMade({ w: { dtype: 'I8', shape: [2, 3], data_offsets: [0, 6] } }, q))), /tensor w is I8 but its scale w_scale is missing/);
  const data = Buffer.concat([Buffer.from(q), Buffer.from(new Float32Array([0.5, 0.25, 1]).buffer)]);
  const wrong = SafetensorsFile.open(write('badscale.safetensors', handMade({ w: { dtype: 'I8', shape: [2, 3], data_offsets: [0, 6] }, w_scale: { dtype: 'F32', shape: [3, 1], data_offsets: [6, 18] } }, data)));
  assert.throws(() => wrong.tensor('w'), /w_scale is \[3, 1\] F32, expected a float \[2, 1\]/);
  const right = SafetensorsFile.open(write('goodscale.safetensors', handMade({ w: { dtype: 'I8', shape: [2, 3], data_offsets: [0, 6] }, w_scale: { dtype: 'F32', shape: [2, 1], data_offsets: [6, 14] } }, data.subarray(0, 14))));
  assert.deepEqual([...right.tensor('w').data], [0.5, 1, 1.5, 1, 1.25, 1.5]);
});
