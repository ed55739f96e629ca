import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TabletopEnv } from './env.js';
import { expertPolicy, runEpisode } from './episode.js';
import { Expert, EXPERT_SPEED } from './expert.js';
import { AGENT_VIEW, projector, Rasterizer, type GeomPose } from './render.js';
import { FINGER_OPEN } from './scene.js';
import { getSuite, getTask, relabelledLayout, suiteTasks, SUITES } from './tasks.js';

// Small frames: success and physics do not depend on the image size.
const env = await TabletopEnv.create(48);

test('the scripted expert solves tasks of every suite: pick-place, stacking, drawer, button, push, two-goal', async () => {
  const cases = [
    ['spatial', 8, 3], ['spatial', 2, 11], ['object', 3, 7], ['object', 8, 30],
    ['goal', 0, 1], ['goal', 3, 2], ['goal', 5, 4], ['goal', 7, 5], ['goal', 8, 6],
    ['long', 0, 4], ['long', 1, 9], ['long', 6, 12],
  ] as const;
  for (const [suite, t, init] of cases) {
    const task = getTask(suite, t);
    const r = await runEpisode(env, task, init, expertPolicy(env, task, init));
    assert.ok(r.success, `${suite} task ${t} (${task.instruction}) init ${init} failed after ${r.steps} steps`);
  }
});

test('a grasped object really lifts with the fingers closed, and never jumps', async () => {
  const task = getTask('object', 0); // the red block into the basket
  let start: number[] | null = null;
  let prev: number[] | null = null;
  let lifted = false;
  let maxJump = 0;
  const r = await runEpisode(env, task, 0, expertPolicy(env, task, 0), {
    onStep: (_, obs) => {
      const p = env.bodyPos('red_block');
      start ??= p;
      if (prev) maxJump = Math.max(maxJump, Math.hypot(p[0] - prev[0]!, p[1] - prev[1]!, p[2] - prev[2]!));
      prev = p;
      if (p[2] > start[2]! + 0.08) {
        lifted = true;
        assert.ok(obs.state.gripper < FINGER_OPEN - 0.01, 'the block is up while the fingers are open');
      }
    },
  });
  assert.ok(r.success);
  assert.ok(lifted, 'the block never rose 8 cm');
  assert.ok(maxJump < 0.05, `the block moved ${maxJump.toFixed(3)} m in one 50 ms step`);
});

test("the expert names the phase behind each action: a pick-and-place runs approach, descend, grasp, lift, carry, lower (and release) in order", async () => {
  const task = getTask('object', 0);
  const expert = new Expert(env, task.scene(0), task.goals);
  const names: string[] = [];
  const r = await runEpisode(env, task, 0, (obs) => {
    const action = expert.act(obs);
    if (names.at(-1) !== expert.phaseName) names.push(expert.phaseName);
    assert.equal(action[6], ['grasp', 'lift', 'carry', 'lower'].includes(expert.phaseName) ? 1 : -1, expert.phaseName);
    return action;
  });
  assert.ok(r.success);
  // The episode succeeds once the block rests in the basket, before the hand retreats.
  assert.deepEqual(names.filter((n) => n !== 'grasp' && n !== 'release'), ['approach', 'descend', 'lift', 'carry', 'lower']);
});

test('a relabelled layout is another object task\'s scene holding this task\'s object, and the expert solves it', async () => {
  const tasks = suiteTasks('object');
  let found = 0;
  for (const task of tasks) {
    for (const init of [100, 101, 102]) {
      const t = relabelledLayout(task, init);
      if (!t) continue;
      found++;
      const scene = JSON.stringify(t.scene(init));
      assert.notEqual(scene, JSON.stringify(task.scene(init)));
      assert.ok(tasks.some((o) => o.index !== task.index && JSON.stringify(o.scene(init)) === scene), 'not another task\'s layout');
      assert.ok(t.scene(init).some((o) => o.name === (task.goals[0] as { object: string }).object));
      assert.equal(t.instruction, task.instruction);
    }
  }
  assert.ok(found >= 25, `only ${found} of 30 tasks and states have a relabelled layout`);
  const t = relabelledLayout(tasks[3]!, 100)!;
  assert.ok((await runEpisode(env, t, 100, expertPolicy(env, t, 100))).success);
  assert.throws(() => relabelledLayout(getTask('goal', 0), 100), /object suite only/);
});

test('pulling the handle slides the drawer out on its joint; pressing the button pushes it down', async () => {
  const open = getTask('goal', 0);
  const scene = open.scene(0);
  const r = await runEpisode(env, open, 0, expertPolicy(env, open, 0));
  assert.ok(r.success);
  assert.ok(env.jointPos('cabinet_drawer') > 0.1);
  const cabinet = scene.find((o) => o.name === 'cabinet')!;
  assert.ok(Math.abs(env.bodyPos('cabinet_drawer')[1] - (cabinet.y - env.jointPos('cabinet_drawer'))) < 0.003, 'drawer body follows its joint');
  const press = getTask('goal', 7);
  const rp = await runEpisode(env, press, 0, expertPolicy(env, press, 0));
  assert.ok(rp.success);
  assert.ok(env.jointPos('stove_button') < -0.008);
});

test('a policy that does nothing never succeeds, and stops at the step limit', async () => {
  const task = getTask('goal', 0);
  const r = await runEpisode(env, task, 0, () => [0, 0, 0, 0, 0, 0, -1], { stepLimit: 15 });
  assert.equal(r.success, false);
  assert.equal(r.steps, 15);
});

test('the same initial state gives bit-identical observations and outcome twice', async () => {
  const wristEnv = await TabletopEnv.create({ imageSize: 32, wristView: true });
  const task = getTask('goal', 3);
  const run = () => runEpisode(wristEnv, task, 5, expertPolicy(wristEnv, task, 5), { record: true });
  const a = await run();
  const b = await run();
  assert.ok(a.success);
  assert.equal(a.steps, b.steps);
  assert.equal(a.success, b.success);
  assert.equal(a.frames.length, b.frames.length);
  a.frames.forEach((f, i) => assert.deepEqual(f.data, b.frames[i]!.data, `frame ${i}`));
  a.observations.forEach((o, i) => {
    assert.deepEqual(o.wrist!.data, b.observations[i]!.wrist!.data, `wrist frame ${i}`);
    assert.deepEqual(o.state, b.observations[i]!.state, `state ${i}`);
  });
  assert.deepEqual(a.actions, b.actions);
  // Different initial states differ.
  const c = await runEpisode(wristEnv, task, 6, expertPolicy(wristEnv, task, 6), { record: true, stepLimit: 1 });
  assert.notDeepEqual(c.frames[0]!.data, a.frames[0]!.data);
  wristEnv.dispose();
});

test('the renderer draws an object in its color where its center projects', async () => {
  const big = await TabletopEnv.create(64);
  const project = projector(AGENT_VIEW, 64, 64);
  for (const [x, y] of [[0, 0.02], [-0.25, 0.15], [0.2, -0.15]] as const) {
    big.reset([{ name: 'cube', kind: 'block', color: [1, 0, 0], x, y, size: [0.03, 0.03, 0.03] }]);
    const img = big.render();
    const [px, py] = project(big.bodyPos('cube'));
    const i = Math.floor(py) * 64 + Math.floor(px);
    const [r, g, b] = [img.data[i * 3]!, img.data[i * 3 + 1]!, img.data[i * 3 + 2]!];
    assert.ok(r > 100 && g < 30 && b < 30, `pixel (${px.toFixed(1)}, ${py.toFixed(1)}) is ${r},${g},${b}, not red`);
    // Far from the cube there is no red.
    const far = Math.floor(px) < 32 ? 63 : 0;
    assert.ok(!(img.data[(Math.floor(py) * 64 + far) * 3]! > 100 && img.data[(Math.floor(py) * 64 + far) * 3 + 1]! < 30));
  }
  big.dispose();
});

test('an overhead lamp shadows the table straight below a raised box, and nothing else', () => {
  const size = 96;
  const raster = new Rasterizer(size, size);
  const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const table: GeomPose = { type: 6, size: [0.45, 0.35, 0.02], pos: [0, 0, -0.02], mat: identity, rgba: [0.7, 0.6, 0.5, 1] };
  const box = (z: number): GeomPose => ({ type: 6, size: [0.03, 0.03, 0.01], pos: [0.05, 0, z], mat: identity, rgba: [0, 0, 1, 1] });
  const project = projector(AGENT_VIEW, size, size);
  const at = (img: { data: Uint8Array }, p: readonly number[]) => {
    const [x, y] = project(p);
    const i = Math.floor(y) * size + Math.floor(x);
    return Array.from(img.data.subarray(i * 3, i * 3 + 3));
  };
  const bare = raster.render([table], AGENT_VIEW);
  for (const z of [0.08, 0.2]) {
    const img = raster.render([table, box(z)], AGENT_VIEW);
    const below = at(img, [0.05, 0, 0]);
    const lit = at(bare, [0.05, 0, 0]);
    below.forEach((c, k) => assert.ok(Math.abs(c - lit[k]! * 0.55) <= 1, `table below the box at ${z} m: ${below} vs lit ${lit}`));
    // Beside the shadow the table is as bright as without the box, and the box's own top is not shadowed.
    assert.deepEqual(at(img, [-0.15, 0, 0]), at(bare, [-0.15, 0, 0]));
    const top = at(img, [0.05, 0, z + 0.01]);
    assert.ok(top[2]! > 200, `the box top is lit: ${top}`);
  }
  const unlit = new Rasterizer(size, size, false).render([table, box(0.08)], AGENT_VIEW);
  assert.deepEqual(at(unlit, [0.05, 0, 0]), at(bare, [0.05, 0, 0]), 'without shadows the table below the box is as lit as with no box');
});

test('suites have ten tasks with LIBERO step limits and 50 distinct initial states; bad input is refused clearly', () => {
  for (const s of SUITES) assert.equal(suiteTasks(s).length, 10);
  assert.deepEqual(getSuite('object').tasks.map((t) => t.instruction), suiteTasks('object').map((t) => t.instruction));
  assert.equal(getSuite('goal').stepLimit, 300);
  assert.equal(getTask('long', 0).stepLimit, 520);
  assert.equal(getTask('spatial', 0).stepLimit, 220);
  assert.ok(suiteTasks('long').every((t) => t.goals.length === 2));
  const inits = new Set(Array.from({ length: 50 }, (_, i) => JSON.stringify(getTask('goal', 1).scene(i))));
  assert.equal(inits.size, 50);
  assert.deepEqual(getTask('goal', 1).scene(3), getTask('goal', 1).scene(3));
  assert.throws(() => getTask('kitchen', 0), /unknown suite "kitchen"/);
  assert.throws(() => getTask('goal', 10), /task index must be 0\.\.9/);
  env.reset(getTask('goal', 0).scene(0));
  assert.throws(() => env.step([0, 0, 0]), /action must be 7 finite numbers/);
  assert.throws(() => env.step([0, 0, 0, 0, 0, 0, NaN]), /action must be 7 finite numbers/);
});

test("LIBERO's action scaling: 1 moves the hand 5 cm or turns it 0.5 rad per step, beyond 1 is clipped", () => {
  const scene = getTask('spatial', 0).scene(0);
  const settle = () => {
    for (let i = 0; i < 5; i++) env.step([0, 0, 0, 0, 0, 0, -1]);
  };
  env.reset(scene);
  settle();
  const x0 = env.state().eef[0];
  env.step([1, 0, 0, 0, 0, 0, -1]);
  settle();
  assert.ok(Math.abs(env.state().eef[0] - x0 - 0.05) < 0.002, `moved ${(env.state().eef[0] - x0).toFixed(4)} m`);
  env.reset(scene);
  settle();
  env.step([3, 0, 0, 0, 0, 0, -1]);
  settle();
  assert.ok(Math.abs(env.state().eef[0] - x0 - 0.05) < 0.002, 'an action of 3 is clipped to 1');
  env.reset(scene);
  settle();
  env.step([0, 0, 0, 0, 0, 1, -1]);
  settle();
  const [w, , , z] = env.state().quat;
  const yaw = 2 * Math.atan2(z, w);
  assert.ok(Math.abs(yaw - 0.5) < 0.02, `turned ${yaw.toFixed(3)} rad`);
});

test('the expert moves each axis at its one speed or not at all, and never answers one still frame with two different actions', async () => {
  const levels = new Set([0, EXPERT_SPEED]);
  for (const [suite, t] of [['spatial', 0], ['goal', 0], ['goal', 3], ['goal', 7], ['long', 0]] as const) {
    const task = getTask(suite, t);
    const r = await runEpisode(env, task, 2, expertPolicy(env, task, 2), { record: true });
    assert.ok(r.success, `${suite} ${t}`);
    r.actions.forEach((a) => a.slice(0, 3).forEach((v) => assert.ok(levels.has(Math.abs(v)), `speed ${v} is not a level`)));
    for (let i = 0; i + 1 < r.actions.length; i++) {
      const [o, p] = [r.observations[i]!.state, r.observations[i + 1]!.state];
      const still = Math.hypot(...o.eef.map((v, k) => v - p.eef[k]!)) < 0.001 && Math.abs(o.gripper - p.gripper) < 0.0005;
      // Includes the gripper: a hand stopped by the table, answered "down" and then "close", taught
      // the cloned policy to keep pressing down.
      if (still) assert.deepEqual(r.actions[i + 1], r.actions[i], `${suite} ${t} step ${i}: a still frame answered with two actions`);
    }
  }
});
