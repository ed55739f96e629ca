import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonNumpy, dumpsPython, encodeFloat64, encodeUint8, JsonNumpyError, toFloat64 } from './json-numpy.js';

// Fixed vectors written from the format: base64 of the raw little-endian C-order bytes, numpy's
// descr, the shape as a list. Cross-checked with numpy 2.4 (`base64.b64encode(a.tobytes())`,
// `numpy.lib.format.dtype_to_descr(a.dtype)`), not with this code.

test('uint8 HxWx3 image: bytes 0..11 as shape [2, 2, 3] is "AAECAwQFBgcICQoL" with dtype |u1', () => {
  const data = Uint8Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual(encodeUint8(data, [2, 2, 3]), { __numpy__: 'AAECAwQFBgcICQoL', dtype: '|u1', shape: [2, 2, 3] });
  const back = decodeJsonNumpy({ __numpy__: 'AAECAwQFBgcICQoL', dtype: '|u1', shape: [2, 2, 3] });
  assert.deepEqual([...back.bytes], [...data]);
  assert.deepEqual(back.shape, [2, 2, 3]);
  // 1x2x3 image with a 255 and a 128: needs '/' in the alphabet and no padding.
  assert.equal(encodeUint8(Uint8Array.of(255, 0, 128, 1, 2, 3), [1, 2, 3]).__numpy__, '/wCAAQID');
});

test('float64 7-vector: [1, -2.5, 0.5, 0.1, 0, -0, 0.001] is the fixed <f8 base64, both ways, bit for bit', () => {
  const values = [1.0, -2.5, 0.5, 0.1, 0.0, -0.0, 1e-3];
  const b64 = 'AAAAAAAA8D8AAAAAAAAEwAAAAAAAAOA/mpmZmZmZuT8AAAAAAAAAAAAAAAAAAACA/Knx0k1iUD8=';
  assert.deepEqual(encodeFloat64(values), { __numpy__: b64, dtype: '<f8', shape: [7] });
  const back = toFloat64(decodeJsonNumpy({ __numpy__: b64, dtype: '<f8', shape: [7] }));
  assert.deepEqual([...back], values);
  assert.ok(Object.is(back[5], -0), 'negative zero survives');
});

test('other dtypes and a numpy scalar (empty shape)', () => {
  const i2 = decodeJsonNumpy({ __numpy__: 'AQD+/w==', dtype: '<i2', shape: [2] });
  assert.deepEqual([...new Int16Array(i2.bytes.slice().buffer)], [1, -2]);
  assert.deepEqual([...toFloat64(decodeJsonNumpy({ __numpy__: 'AADAPw==', dtype: '<f4', shape: [1] }))], [1.5]);
  assert.deepEqual([...toFloat64(decodeJsonNumpy({ __numpy__: 'AAAAAAAACEA=', dtype: '<f8', shape: [] }))], [3]);
});

test("dumpsPython writes Python json_numpy.dumps' exact text (deploy.py's encoded answer)", () => {
  assert.equal(
    dumpsPython(encodeFloat64([1.0, -2.5, 0.5, 0.1, 0.0, -0.0, 1e-3])),
    '{"__numpy__": "AAAAAAAA8D8AAAAAAAAEwAAAAAAAAOA/mpmZmZmZuT8AAAAAAAAAAAAAAAAAAACA/Knx0k1iUD8=", "dtype": "<f8", "shape": [7]}',
  );
  assert.equal(dumpsPython(encodeUint8(new Uint8Array(12), [2, 2, 3])), '{"__numpy__": "AAAAAAAAAAAAAAAA", "dtype": "|u1", "shape": [2, 2, 3]}');
});

test('decode refuses what numpy would refuse, with a code per kind', () => {
  const ok = { __numpy__: 'AAECAwQFBgcICQoL', dtype: '|u1', shape: [2, 2, 3] };
  const cases: [unknown, string][] = [
    [[1, 2, 3], 'not_ndarray'],
    [{ ...ok, dtype: 'uint9' }, 'invalid_dtype'],
    [{ ...ok, dtype: '>f8', shape: [1], __numpy__: 'AAAAAAAA8D8=' }, 'invalid_dtype'],
    [{ ...ok, dtype: 5 }, 'invalid_dtype'],
    [{ ...ok, shape: [2, -2, 3] }, 'invalid_shape'],
    [{ ...ok, shape: [2, 1.5, 3] }, 'invalid_shape'],
    [{ ...ok, shape: '2,2,3' }, 'invalid_shape'],
    [{ ...ok, shape: [2, 2, 2] }, 'length_mismatch'],
    [{ ...ok, shape: [2 ** 40, 2 ** 40, 3] }, 'invalid_shape'],
    [{ ...ok, __numpy__: 'AAECAwQFBgcICQo' }, 'invalid_base64'],
    [{ ...ok, __numpy__: 'AAEC*wQFBgcICQoL' }, 'invalid_base64'],
    [{ ...ok, __numpy__: 12 }, 'invalid_base64'],
  ];
  for (const [value, code] of cases) {
    assert.throws(() => decodeJsonNumpy(value, 'x'), (e: unknown) => e instanceof JsonNumpyError && e.code === code, `${JSON.stringify(value)} -> ${code}`);
  }
});
