// Runs every compiled *.test.js under dist/ with Node's test runner (Node 20 takes no globs).
// Opt-in slow tests are named *.slow.test.js and run only with SPEC_VLA_SLOW_TESTS=1.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const slow = process.env.SPEC_VLA_SLOW_TESTS === '1';
const files = find('dist/src').filter((f) => slow || !f.endsWith('.slow.test.js')).sort();
const filter = process.argv[2];
const chosen = filter ? files.filter((f) => f.includes(filter)) : files;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
