// Builds the OpenBLAS Node-API addon. A failed build is not fatal: the library then runs on its
// TypeScript reference kernels and says so once when it loads. SPEC_VLA_REQUIRE_NATIVE=1 makes it fatal.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const bundled = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
// Build against the headers that come with this Node (no download: there is no network at install).
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined);
const args = ['rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
  : spawnSync('npx', ['--no-install', 'node-gyp', ...args], { stdio: 'inherit' });
if (r.status !== 0) {
  const msg = 'spec-vla: native addon build failed (needs libopenblas-dev, make and a C compiler); the TypeScript reference kernels will be used.';
  if (process.env.SPEC_VLA_REQUIRE_NATIVE === '1') {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
}
