import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadNative } from './native.js';

/** OpenBLAS picks its kernels when it loads, so each case runs in a fresh process. */
const nativeUrl = new URL('./native.js', import.meta.url).href;

function coreInChild(env: Record<string, string | undefined>): { core: string; source: string } {
  const script = `import { loadNative } from '${nativeUrl}';
const l = loadNative();
if (!l.addon) { console.log(JSON.stringify({ core: 'none', source: l.coreTypeSource })); }
else console.log(JSON.stringify({ core: l.addon.blasInfo().core, source: l.coreTypeSource }));`;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: childEnv, encoding: 'utf8' }));
}

const hasAvx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

test('OpenBLAS core type: AVX-512 kernels chosen automatically, a user setting respected', { skip: loadNative().addon ? false : 'native addon not built' }, () => {
  const auto = coreInChild({ OPENBLAS_CORETYPE: undefined });
  if (hasAvx512) assert.deepEqual(auto, { core: 'SkylakeX', source: 'auto' });
  else assert.equal(auto.source, 'none');
  assert.deepEqual(coreInChild({ OPENBLAS_CORETYPE: 'Haswell' }), { core: 'Haswell', source: 'user' });
});
