import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { suiteModel, suiteModelGroups } from './model-set.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-set-'));
after(() => rmSync(root, { recursive: true, force: true }));
const folder = (...parts: string[]) => {
  const dir = join(root, ...parts);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{}');
  return dir;
};

test('a model set runs each suite with its own pair when it has one, else with the shared pair', () => {
  const set = join(root, 'set');
  folder('set', 'target');
  folder('set', 'draft');
  folder('set', 'spatial', 'target');
  folder('set', 'spatial', 'draft');
  folder('set', 'goal', 'target');
  assert.deepEqual(suiteModel(set, 'spatial'), { model: join(set, 'spatial', 'target'), draft: join(set, 'spatial', 'draft') });
  assert.deepEqual(suiteModel(set, 'object'), { model: join(set, 'target'), draft: join(set, 'draft') });
  assert.deepEqual(suiteModel(set, 'goal', '/elsewhere/draft'), { model: join(set, 'goal', 'target'), draft: '/elsewhere/draft' }, 'an explicit draft wins');
  assert.deepEqual(
    suiteModelGroups(set, ['object', 'spatial', 'long', 'goal']).map((g) => g.suites),
    [['object', 'long'], ['spatial'], ['goal']],
    'suites sharing a pair are run together, in the order given',
  );
});

test('a plain model folder runs every suite; a folder that is neither is refused by name', () => {
  const plain = folder('plain');
  folder('plain', 'spatial', 'target');
  assert.deepEqual(suiteModel(plain, 'spatial'), { model: plain, draft: undefined }, 'config.json in the folder: that model for every suite');
  assert.deepEqual(suiteModelGroups(plain, ['spatial', 'goal'], '/d').map((g) => [g.pair, g.suites]), [[{ model: plain, draft: '/d' }, ['spatial', 'goal']]]);
  const partial = join(root, 'partial');
  folder('partial', 'spatial', 'target');
  assert.equal(suiteModel(partial, 'spatial').model, join(partial, 'spatial', 'target'));
  assert.throws(() => suiteModel(partial, 'goal'), /partial: not a model folder \(no config\.json\) nor a model set \(no target\/ or goal\/target\//);
});
