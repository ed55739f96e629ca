import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { actionStats, decodeEpisode, encodeEpisode, EpisodeStore, type Episode } from './dataset.js';

function episode(task: number, steps: number): Episode {
  return {
    suite: 'spatial',
    task,
    init: task * 2,
    instruction: `task ${task}`,
    success: true,
    width: 4,
    height: 3,
    frames: Array.from({ length: steps }, (_, i) => Uint8Array.from({ length: 36 }, (_, j) => (i * 7 + j) & 255)),
    actions: Array.from({ length: steps }, (_, i) => Float32Array.from({ length: 7 }, (_, j) => i * 0.1 - j)),
  };
}

test('episodes round-trip through the binary format', () => {
  const ep = episode(3, 5);
  assert.deepEqual(decodeEpisode(encodeEpisode(ep)), ep);
  const withPoints = { ...ep, points: ep.frames.map((_, i) => [i, 2.5, -1, -1]) };
  assert.deepEqual(decodeEpisode(encodeEpisode(withPoints)), withPoints);
  assert.throws(() => encodeEpisode({ ...ep, points: [[1, 2, 3, 4]] }), /4 values for each of its 5 frames/);
  const withStates = { ...withPoints, states: ep.frames.map((_, i) => [0.01 * i, -0.05, 0.3, 0.045, 0.1, 0.02, 0.025]) };
  assert.deepEqual(decodeEpisode(encodeEpisode(withStates)), withStates);
  assert.throws(() => encodeEpisode({ ...ep, states: ep.frames.map(() => [0, 0, 0, 0]) }), /7 finite values for each of its 5 frames/);
  assert.throws(() => encodeEpisode({ ...ep, states: ep.frames.map(() => [0, 0, NaN, 0, 0, 0, 0]) }), /7 finite values/);
});

test('corrupt episode files are refused with a clear error', () => {
  const bytes = encodeEpisode(episode(1, 2));
  assert.throws(() => decodeEpisode(bytes.subarray(0, bytes.length - 3), 'x.bin'), /x.bin: 239 bytes, expected 242 \(truncated or corrupt\)/);
  assert.throws(() => decodeEpisode(Buffer.from('nope'), 'y.bin'), /y.bin: not a spec-vla episode file/);
  assert.throws(() => encodeEpisode({ ...episode(1, 2), actions: [new Float32Array(7)] }), /2 frames but 1 actions/);
});

test('an episode read from disk frame by frame carries its points and states', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svds-'));
  try {
    const store = EpisodeStore.open(dir, { width: 4, height: 3 });
    const ep = { ...episode(2, 3), points: [[0, 1, 2, 3], [1, 1, 2, 3], [-1, -1, 2, 3]], states: [[0, 0, 0.3, 0.045, 0, 0, 0], [0, 0, 0.29, 0.045, 0, 0, 0], [0, 0, 0.28, 0.04, 0.1, 0.1, 0.02]] };
    store.append(ep);
    store.append(episode(4, 2));
    const [a, b] = store.index.episodes.map((e) => store.openOnDisk(e));
    assert.deepEqual(a!.points, ep.points);
    assert.deepEqual(a!.states, ep.states);
    assert.deepEqual(a!.frame(2), ep.frames[2]);
    assert.equal(b!.points, undefined);
    assert.equal(b!.states, undefined);
    assert.throws(() => b!.wristFrame(0), /no wrist frames/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a frame reader keeps none of its episode\'s per-frame points and states alive (a trainer holds a reader per episode)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svds-'));
  try {
    const store = EpisodeStore.open(dir, { width: 4, height: 3 });
    store.append({ ...episode(2, 2), points: [[0, 1, 2, 3], [1, 1, 2, 3]], states: [[0, 0, 0.3, 0.045, 0, 0, 0], [0, 0, 0.29, 0.045, 0, 0, 0]] });
    const read = (): { frame: (i: number) => Uint8Array; states: WeakRef<object> } => {
      const onDisk = store.openOnDisk(store.index.episodes[0]!);
      return { frame: onDisk.frame, states: new WeakRef(onDisk.states!) };
    };
    const { frame, states } = read();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A WeakRef's target is kept until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(states.deref(), undefined, 'the frame reader keeps the header\'s states alive');
    assert.equal(frame(1).length, 36);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wrist frames round-trip, are read one at a time from disk, and a store keeps one wrist size', () => {
  const ep = episode(1, 3);
  const withWrist = { ...ep, wristSize: 2, wrist: ep.frames.map((_, i) => Uint8Array.from({ length: 12 }, (_, j) => 100 + i * 12 + j)) };
  assert.deepEqual(decodeEpisode(encodeEpisode(withWrist)), withWrist);
  assert.throws(() => encodeEpisode({ ...withWrist, wrist: withWrist.wrist.slice(1) }), /2x2x3 wrist frame for each of its 3 frames/);
  assert.throws(() => encodeEpisode({ ...ep, wristSize: 2 }), /go together/);
  const dir = mkdtempSync(join(tmpdir(), 'svds-'));
  try {
    const store = EpisodeStore.open(dir, { width: 4, height: 3, wristSize: 2 });
    store.append(withWrist);
    assert.throws(() => store.append(episode(2, 2)), /wrist frames are absent, dataset's are 2/);
    const onDisk = store.openOnDisk(store.index.episodes[0]!);
    assert.deepEqual(onDisk.wristFrame(1), withWrist.wrist[1]);
    assert.deepEqual(onDisk.frame(2), ep.frames[2]);
    assert.deepEqual(onDisk.actions, ep.actions);
    assert.throws(() => EpisodeStore.open(dir, { width: 4, height: 3, wristSize: 0 }), /holds 2-pixel wrist frames, not none/);
    assert.equal(EpisodeStore.open(dir, { width: 4, height: 3 }).index.wristSize, 2, 'a reader need not name the wrist size');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store resumes after a crash: indexed episodes stay, unindexed leftovers go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svds-'));
  try {
    const store = EpisodeStore.open(dir, { width: 4, height: 3 });
    store.append(episode(0, 3));
    store.append(episode(1, 4));
    // A crash mid-write leaves a temp file and an episode the index never named.
    writeFileSync(join(dir, 'spatial-t2-i4.bin.tmp-123'), 'partial');
    writeFileSync(join(dir, 'spatial-t9-i9.bin'), 'never indexed');
    const again = EpisodeStore.open(dir, { width: 4, height: 3 });
    assert.equal(again.index.episodes.length, 2);
    assert.ok(again.has('spatial', 1, 2) && !again.has('spatial', 2, 4));
    assert.deepEqual(readdirSync(dir).sort(), ['index.json', 'spatial-t0-i0.bin', 'spatial-t1-i2.bin']);
    assert.deepEqual(again.read(again.index.episodes[1]!), episode(1, 4));
    const onDisk = again.openOnDisk(again.index.episodes[1]!);
    const { frames, ...rest } = episode(1, 4);
    assert.deepEqual({ ...onDisk, frame: undefined, wristFrame: undefined, steps: undefined }, { ...rest, frame: undefined, wristFrame: undefined, steps: undefined });
    frames.forEach((f, i) => assert.deepEqual(onDisk.frame(i), f));
    assert.throws(() => onDisk.frame(4), /no frame 4 \(4 steps\)/);
    assert.throws(() => EpisodeStore.open(dir, { width: 8, height: 8 }), /holds 4x3 frames/);
    truncateSync(join(dir, 'spatial-t0-i0.bin'), 20);
    assert.throws(() => again.read(again.index.episodes[0]!), /spatial-t0-i0.bin: (truncated header|.*truncated or corrupt)/);
    assert.throws(() => again.openOnDisk(again.index.episodes[0]!), /spatial-t0-i0.bin: (truncated header|.*truncated or corrupt)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('action statistics: numpy-style quantiles, gripper unmasked', () => {
  const actions = Array.from({ length: 101 }, (_, i) => Float32Array.from({ length: 7 }, (_, j) => i * (j + 1)));
  const s = actionStats(actions);
  assert.ok(Math.abs(s.q01[0]! - 1) < 1e-9 && Math.abs(s.q99[0]! - 99) < 1e-9);
  assert.ok(Math.abs(s.q99[2]! - 297) < 1e-9);
  assert.equal(s.mean[0], 50);
  assert.deepEqual(s.mask, [true, true, true, true, true, true, false]);
});
