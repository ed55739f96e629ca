import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../ops/index.js';
import { AGENT_VIEW, Expert, EXPERT_SPEED, expertPolicy, FINGER_OPEN, HAND_START, MAX_TRANSLATION, projector, runEpisode, suiteTasks, TabletopEnv, TRAINING_STATES } from '../sim/index.js';
import { afterMoves, collectDemonstrations, dagger, EXCURSION_STEPS, excursions, lateGrip, noisy, overshoot, startMoves } from './collect.js';

test('noisy expert: executes noisy hand motion, records the clean action, leaves rotation and gripper alone', async () => {
  const labels: number[][] = [];
  const clean = [0.3, -0.2, 0.1, 0, 0, 0, 1];
  const policy = noisy(() => clean, 0.1, seededRandom(1), labels);
  const executed: number[][] = [];
  for (let i = 0; i < 200; i++) executed.push(await policy({} as never, 'x'));
  assert.equal(labels.length, 200);
  assert.ok(labels.every((l) => l.join() === clean.join()));
  for (let d = 0; d < 7; d++) {
    const dev = executed.map((a) => a[d]! - clean[d]!);
    const std = Math.sqrt(dev.reduce((s, x) => s + x * x, 0) / dev.length);
    if (d < 3) assert.ok(std > 0.08 && std < 0.12, `dim ${d}: noise std ${std}`);
    else assert.equal(std, 0, `dim ${d} must not be perturbed`);
  }
  const none: number[][] = [];
  assert.deepEqual(await noisy(() => clean, 0, seededRandom(1), none)({} as never, 'x'), clean);
});

test('the expert still succeeds under DART noise, and its labels stay clean expert actions', async () => {
  const env = await TabletopEnv.create(64);
  const task = suiteTasks('spatial')[0]!;
  const init = TRAINING_STATES.first;
  const labels: number[][] = [];
  const r = await runEpisode(env, task, init, noisy(expertPolicy(env, task, init), 0.1, seededRandom(2), labels), { record: true });
  assert.ok(r.success, 'the noisy expert failed the task');
  assert.equal(labels.length, r.actions.length);
  // Clean labels are the expert's one speed or zero; the executed actions carry the noise.
  assert.ok(labels.every((a) => a.slice(0, 3).every((x) => x === 0 || Math.abs(x) === EXPERT_SPEED)));
  assert.ok(r.actions.some((a) => a.slice(0, 3).some((x) => x !== 0 && Math.abs(Math.abs(x) - EXPERT_SPEED) > 0.01)));
});

test('a late grasp: the frame after the expert first closes shows the open hand pressed lower, labelled "close", and the expert still succeeds', async () => {
  const env = await TabletopEnv.create(64);
  const task = suiteTasks('spatial')[0]!;
  const init = TRAINING_STATES.first;
  const labels: number[][] = [];
  const r = await runEpisode(env, task, init, lateGrip(noisy(expertPolicy(env, task, init), 0, seededRandom(2), labels), 1, seededRandom(3)), { record: true });
  assert.ok(r.success, 'the late expert failed the task');
  const grasp = labels.findIndex((a) => a[6] > 0);
  assert.ok(grasp > 0);
  // Executed: one more step down with open fingers; labelled: the expert's close, twice in a row.
  assert.deepEqual(r.actions[grasp], r.actions[grasp - 1]);
  assert.ok(labels[grasp]![6]! > 0 && labels[grasp + 1]![6]! > 0);
  const z = (i: number) => r.observations[i]!.state.eef[2]!;
  assert.ok(z(grasp + 1) < z(grasp) - 0.001, `the overshoot frame is not lower: ${z(grasp)} -> ${z(grasp + 1)}`);
  assert.ok(r.observations[grasp + 1]!.state.gripper > 0.04, 'the fingers were already closing');
  // Only the first frame of a change is late (the task succeeds before the release).
  assert.equal(r.actions.filter((a, i) => a[6] !== labels[i]![6]).length, 1);
});

test('DAgger mixture: the learner acts on the other steps, the expert labels every frame until it is done', async () => {
  const labels: (number[] | null)[] = [];
  const label = [0.2, 0, 0, 0, 0, 0, 1];
  const own = [0, 0, -0.2, 0, 0, 0, -1];
  let done = false;
  let learnerCalls = 0;
  const policy = dagger(noisy(() => label, 0, seededRandom(1), labels), () => (learnerCalls++, own), 0.3, seededRandom(3), () => done, labels);
  const executed: number[][] = [];
  for (let i = 0; i < 1000; i++) executed.push(await policy({} as never, 'x'));
  const expertSteps = executed.filter((a) => a.join() === label.join()).length;
  assert.ok(expertSteps > 250 && expertSteps < 350, `expert executed on ${expertSteps} of 1000 steps`);
  assert.equal(learnerCalls, 1000 - expertSteps, 'the learner runs only when its action is executed');
  assert.ok(labels.length === 1000 && labels.every((l) => l?.join() === label.join()));
  done = true;
  await policy({} as never, 'x');
  assert.equal(labels.length, 1001);
  assert.equal(labels[1000], null, 'after the expert is done its frames carry no label');
});

test('collected frames record where the hand is (between its dark fingertips) and where the expert aims', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcollect-'));
  try {
    const store = await collectDemonstrations({ suites: ['object'], episodesPerTask: 1, out: dir, size: 64, every: 4 });
    for (const e of store.index.episodes.slice(0, 3)) {
      const ep = store.openOnDisk(e);
      assert.equal(ep.points?.length, ep.steps);
      const aims = new Set<string>();
      ep.points!.forEach((p, i) => {
        const [hx, hy, ax, ay] = p as [number, number, number, number];
        assert.ok(hx >= 0 && hy >= 0 && ax >= 0 && ay >= 0, `${e.file} frame ${i}: ${p.join()}`);
        aims.add(`${ax},${ay}`);
        const f = ep.frame(i);
        let dark = false;
        for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) {
          const k = ((Math.round(hy) + dy) * 64 + Math.round(hx) + dx) * 3;
          if (f[k]! < 90 && f[k + 1]! < 90 && f[k + 2]! < 90) dark = true;
        }
        assert.ok(dark, `${e.file} frame ${i}: no dark finger pixel within 4 px of the hand point (between the fingertips) ${hx},${hy}`);
      });
      // The object, then the basket, then below the rising hand: the aim moves with the phases.
      assert.ok(aims.size >= 3, `${e.file}: ${aims.size} distinct aims`);
      // The state behind each frame: the hand it records is the one the frame shows, the aim the one pointed at.
      assert.equal(ep.states?.length, ep.steps);
      const toPixel = projector(AGENT_VIEW, 64, 64);
      ep.states!.forEach((st, i) => {
        const [hx, hy, ax, ay] = ep.points![i] as [number, number, number, number];
        const hand = toPixel(st.slice(0, 3));
        const aim = toPixel([st[4]!, st[5]!, 0]);
        assert.ok(Math.hypot(hand[0] - hx, hand[1] - hy) < 0.1 && Math.hypot(aim[0] - ax, aim[1] - ay) < 0.1, `${e.file} frame ${i}: state ${st.join()} vs points ${ep.points![i]!.join()}`);
        assert.ok(st[3]! >= 0 && st[3]! <= FINGER_OPEN + 1e-3, `${e.file} frame ${i}: finger opening ${st[3]}`);
      });
      assert.ok(ep.states![0]![3]! > FINGER_OPEN - 0.005 && ep.states!.some((st) => st[3]! < FINGER_OPEN - 0.005), `${e.file}: the fingers start open and close on the object`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('relabelled collection: an object task on another task\'s layout, whose first frame it shares under another instruction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svrelabel-'));
  try {
    const own = await collectDemonstrations({ suites: ['object'], episodesPerTask: 1, out: join(dir, 'own'), size: 32, every: 8 });
    const relabelled = await collectDemonstrations({ suites: ['object'], episodesPerTask: 1, out: join(dir, 'relabelled'), size: 32, every: 8, relabel: true });
    assert.ok(relabelled.index.episodes.length >= 5, `${relabelled.index.episodes.length} relabelled episodes`);
    const firstFrames = own.index.episodes.map((e) => ({ e, frame: own.openOnDisk(e).frame(0) }));
    for (const e of relabelled.index.episodes) {
      const frame = relabelled.openOnDisk(e).frame(0);
      const same = firstFrames.find((o) => Buffer.from(o.frame).equals(Buffer.from(frame)));
      assert.ok(same, `${e.file}: its first frame is no own-layout episode's`);
      assert.notEqual(same.e.task, e.task);
      assert.notEqual(same.e.instruction, e.instruction);
      assert.equal(e.instruction, suiteTasks('object')[e.task]!.instruction);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('collect --wrist stores the wrist camera beside every frame, at its own size, and resumes only at that size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcollect-'));
  try {
    const store = await collectDemonstrations({ suites: ['spatial'], episodesPerTask: 1, out: dir, size: 32, wristSize: 16, every: 8 });
    assert.equal(store.index.wristSize, 16);
    const ep = store.read(store.index.episodes[0]!);
    assert.equal(ep.wrist?.length, ep.frames.length);
    assert.ok(ep.wrist!.every((f) => f.length === 16 * 16 * 3));
    // The hand moves down onto the object: the wrist view changes far more than the agent view.
    const change = (frames: Uint8Array[]) => frames[0]!.reduce((s, v, i) => s + Math.abs(v - frames[frames.length - 1]![i]!), 0) / frames[0]!.length;
    assert.ok(change(ep.wrist!) > 2 * change(ep.frames), `wrist ${change(ep.wrist!).toFixed(1)} vs agent ${change(ep.frames).toFixed(1)} per byte`);
    await assert.rejects(collectDemonstrations({ suites: ['spatial'], episodesPerTask: 1, out: dir, size: 32, every: 8 }), /holds 16-pixel wrist frames, not none/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('start moves reach a random offset within the box in full-speed-or-less steps, then the policy takes over', async () => {
  assert.deepEqual(startMoves(0, seededRandom(1)), []);
  const rand = seededRandom(4);
  for (let k = 0; k < 200; k++) {
    const moves = startMoves(0.15, rand);
    assert.ok(moves.every((m) => m.length === 7 && m.slice(0, 3).every((a) => Math.abs(a) <= 1) && m[6] === -1));
    const offset = [0, 1, 2].map((d) => moves.reduce((s, m) => s + m[d]! * MAX_TRANSLATION, 0));
    assert.ok(Math.abs(offset[0]!) <= 0.15 + 1e-9 && Math.abs(offset[1]!) <= 0.15 + 1e-9 && Math.abs(offset[2]!) <= 0.05 + 1e-9, `offset ${offset}`);
    // As few moves as full speed allows.
    assert.equal(moves.length, Math.max(1, Math.ceil(Math.max(...offset.map(Math.abs)) / MAX_TRANSLATION - 1e-9)));
  }
  const policy = afterMoves([[1, 0, 0, 0, 0, 0, -1]], () => [0, 0, 0, 0, 0, 0, 1]);
  assert.equal((await policy({} as never, 'x'))[0], 1);
  assert.equal((await policy({} as never, 'x'))[6], 1);
});

test('collect --start-offset stores the expert\'s frames from the offset start on, not the unrecorded moves there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcollect-'));
  try {
    const plain = await collectDemonstrations({ suites: ['spatial'], episodesPerTask: 1, out: join(dir, 'a'), size: 32, every: 1 });
    const store = await collectDemonstrations({ suites: ['spatial'], episodesPerTask: 1, out: join(dir, 'b'), size: 32, every: 1, startOffset: 0.15 });
    const ep = store.read(store.index.episodes[0]!);
    assert.ok(ep.success);
    const states = ep.states!;
    const hand = states[0]!.slice(0, 3);
    const off = hand.map((v, d) => v - HAND_START[d]!);
    assert.ok(Math.hypot(...off) > 0.01 && Math.abs(off[0]!) < 0.16 && Math.abs(off[1]!) < 0.16, `first stored hand ${hand}`);
    // Every stored label is an expert's move, and the hand moves at most one expert step a frame.
    assert.ok(ep.actions.every((a) => [0, 1, 2].every((d) => a[d] === 0 || Math.abs(Math.abs(a[d]!) - EXPERT_SPEED) < 1e-6)));
    for (let i = 1; i < states.length; i++) for (let d = 0; d < 3; d++) assert.ok(Math.abs(states[i]![d]! - states[i - 1]![d]!) < EXPERT_SPEED * MAX_TRANSLATION + 0.002);
    // The first stored frame is the offset hand's, not the usual start's.
    const first = plain.read(plain.index.episodes[0]!).frames[0]!;
    assert.ok(ep.frames[0]!.some((v, i) => v !== first[i]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The expert on `init` of `task`, recording each frame's label and phase name. */
function recordingExpert(env: TabletopEnv, task: ReturnType<typeof suiteTasks>[number], init: number) {
  const expert = new Expert(env, task.scene(init), task.goals);
  const labels: number[][] = [];
  const phases: string[] = [];
  const policy = noisy((obs) => { const a = expert.act(obs); phases.push(expert.phaseName); return a; }, 0, seededRandom(5), labels);
  return { policy, labels, phases, phase: () => expert.phaseName };
}

/** The first and last index of each run of true values. */
function stretches(flags: readonly boolean[]): [number, number][] {
  const out: [number, number][] = [];
  flags.forEach((f, i) => {
    if (f && !flags[i - 1]) out.push([i, i]);
    else if (f) out[out.length - 1]![1] = i;
  });
  return out;
}

test('excursions: off course only for short stretches that start in an approach or a carry, the expert labelling every frame and still succeeding', async () => {
  const env = await TabletopEnv.create(64);
  const task = suiteTasks('spatial')[0]!;
  const init = TRAINING_STATES.first;
  const run = async (p: number) => {
    const { policy, labels, phases, phase } = recordingExpert(env, task, init);
    const r = await runEpisode(env, task, init, excursions(policy, p, seededRandom(6), phase), { record: true });
    return { r, labels, phases };
  };
  const plain = await run(0);
  assert.ok(plain.r.actions.every((a, i) => a.join() === plain.labels[i]!.join()), 'p = 0 must execute the expert unchanged');
  const { r, labels, phases } = await run(0.3);
  assert.ok(r.success, 'the expert failed after excursions');
  assert.equal(labels.length, r.actions.length);
  assert.ok(labels.every((a) => a.slice(0, 3).every((x) => x === 0 || Math.abs(x) === EXPERT_SPEED)));
  assert.ok(r.actions.every((a, i) => a[6] === labels[i]![6]), 'an excursion keeps the fingers as the expert commands');
  const off = stretches(r.actions.map((a, i) => a.slice(0, 3).join() !== labels[i]!.slice(0, 3).join()));
  let reversed = 0;
  for (const [i, end] of off) {
    assert.ok(end - i + 1 <= EXCURSION_STEPS, `an excursion of ${end - i + 1} steps`);
    assert.ok(['approach', 'carry'].includes(phases[i]!), `an excursion started in ${phases[i]}`);
    // The frame after it: the expert's label turns back against the excursion's motion on some axis.
    const back = labels[end + 1];
    if (back && [0, 1, 2].some((d) => r.actions[i]![d]! * back[d]! < 0)) reversed++;
  }
  assert.ok(off.length >= 2, `only ${off.length} excursions`);
  assert.ok(reversed >= 1, 'no label leads back after an excursion');
});

test('overshoot: an approach or a carry runs on past its end with its last motion, and the expert, in its next phase, labels the way back', async () => {
  const env = await TabletopEnv.create(64);
  const task = suiteTasks('spatial')[0]!;
  const init = TRAINING_STATES.first;
  const { policy, labels, phases, phase } = recordingExpert(env, task, init);
  const r = await runEpisode(env, task, init, overshoot(policy, 1, seededRandom(7), phase), { record: true });
  assert.ok(r.success, 'the expert failed after overshooting');
  const off = stretches(r.actions.map((a, i) => a.join() !== labels[i]!.join()));
  // Both ends (the approach's and the carry's) run on, each from the first frame of the next phase.
  assert.equal(off.length, 2, `overshoots at ${off.join(' ')}`);
  let back = 0;
  for (const [i, end] of off) {
    assert.ok(['approach', 'carry'].includes(phases[i - 1]!) && phases[i] !== phases[i - 1], `an overshoot at ${phases[i - 1]} -> ${phases[i]}`);
    assert.ok(end - i + 1 <= EXCURSION_STEPS);
    for (let k = i; k <= end; k++) assert.deepEqual(r.actions[k]!.slice(0, 3), labels[i - 1]!.slice(0, 3), 'an overshoot repeats the last motion');
    if ([0, 1, 2].some((d) => labels[i - 1]![d]! * labels[end + 1]![d]! < 0)) back++;
  }
  assert.ok(back >= 1, 'no label leads back after an overshoot');
});
