import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TabletopEnv } from './env.js';
import { expertPolicy, runEpisode } from './episode.js';
import { getTask, suiteTasks, SUITES } from './tasks.js';

const env = await TabletopEnv.create(48);

test('the scripted expert solves a task of every suite (stacking and two-goal tasks included)', async () => {
  for (const [suite, t, init] of [['spatial', 8, 3], ['object', 3, 7], ['goal', 9, 1], ['long', 2, 4]] as const) {
    const task = getTask(suite, t);
    const r = await runEpisode(env, task, init, expertPolicy(env, task, init));
    assert.ok(r.success, `${suite} task ${t} (${task.instruction}) init ${init} failed after ${r.steps} steps`);
    assert.ok(r.steps < task.stepLimit);
  }
});

test('a policy that does nothing never succeeds, and stops at the step limit', async () => {
  const task = getTask('goal', 0);
  const r = await runEpisode(env, task, 0, () => [0, 0, 0, 0, 0, 0, -1], { stepLimit: 15 });
  assert.equal(r.success, false);
  assert.equal(r.steps, 15);
});

test('the same initial state gives bit-identical observations and outcome twice', async () => {
  const task = getTask('spatial', 2);
  const run = () => runEpisode(env, task, 5, expertPolicy(env, task, 5), { record: true, stepLimit: 40 });
  const a = await run();
  const b = await run();
  assert.equal(a.steps, b.steps);
  assert.equal(a.success, b.success);
  assert.equal(a.frames.length, b.frames.length);
  a.frames.forEach((f, i) => assert.deepEqual(f.data, b.frames[i]!.data, `frame ${i}`));
  assert.deepEqual(a.actions, b.actions);
  // Different initial states differ.
  const c = await runEpisode(env, task, 6, expertPolicy(env, task, 6), { record: true, stepLimit: 1 });
  assert.notDeepEqual(c.frames[0]!.data, a.frames[0]!.data);
});

test('the renderer draws an object in its color where it projects', async () => {
  const big = await TabletopEnv.create(64);
  big.reset([{ name: 'red', kind: 'block', color: [1, 0, 0], x: 0, y: 0.02, size: [0.04, 0.04, 0.04] }]);
  const img = big.render();
  let red = 0;
  for (let i = 0; i < img.width * img.height; i++) if (img.data[i * 3]! > 150 && img.data[i * 3 + 1]! < 60 && img.data[i * 3 + 2]! < 60) red++;
  assert.ok(red > 20, `only ${red} red pixels`);
  // Move the block to the far left: the red pixels move to the left half of the image.
  big.reset([{ name: 'red', kind: 'block', color: [1, 0, 0], x: -0.3, y: 0.02, size: [0.04, 0.04, 0.04] }]);
  const left = big.render();
  let sumX = 0;
  let n = 0;
  for (let i = 0; i < left.width * left.height; i++) {
    if (left.data[i * 3]! > 150 && left.data[i * 3 + 1]! < 60 && left.data[i * 3 + 2]! < 60) {
      sumX += i % left.width;
      n++;
    }
  }
  assert.ok(n > 10 && sumX / n < left.width / 2, 'the block should appear on the left');
  big.dispose();
});

test('suites have ten tasks with LIBERO step limits; bad input is refused clearly', () => {
  for (const s of SUITES) assert.equal(suiteTasks(s).length, 10);
  assert.equal(getTask('long', 0).stepLimit, 520);
  assert.equal(getTask('long', 0).goals.length, 2);
  assert.throws(() => getTask('kitchen', 0), /unknown suite "kitchen"/);
  assert.throws(() => getTask('goal', 10), /task index must be 0\.\.9/);
  env.reset(getTask('goal', 0).scene(0));
  assert.throws(() => env.step([0, 0, 0]), /action must be 7 finite numbers/);
  assert.throws(() => env.step([0, 0, 0, 0, 0, 0, NaN]), /action must be 7 finite numbers/);
});
