import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueFullError, SerialQueue } from './queue.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

test('jobs run one at a time, in arrival order', async () => {
  const q = new SerialQueue(10);
  let active = 0;
  let maxActive = 0;
  const order: number[] = [];
  const jobs = [0, 1, 2, 3, 4].map((i) =>
    q.run(async () => {
      maxActive = Math.max(maxActive, ++active);
      await new Promise((r) => setTimeout(r, 2));
      order.push(i);
      active--;
      return i * 10;
    }),
  );
  assert.deepEqual(await Promise.all(jobs), [0, 10, 20, 30, 40]);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(maxActive, 1);
});

test('at most `capacity` wait behind the running job; the rest are refused at once', async () => {
  const q = new SerialQueue(2);
  const g = gate();
  const running = q.run(() => g.wait.then(() => 'a'));
  const b = q.run(() => 'b');
  const c = q.run(() => 'c');
  assert.equal(q.depth, 2);
  await assert.rejects(q.run(() => 'd'), QueueFullError);
  g.open();
  assert.deepEqual(await Promise.all([running, b, c]), ['a', 'b', 'c']);
  await q.idle();
  assert.equal(await q.run(() => 'e'), 'e', 'accepts again once drained');
});

test('a failing job rejects only its own caller and the queue goes on', async () => {
  const q = new SerialQueue(4);
  const bad = q.run(() => {
    throw new Error('boom');
  });
  const good = q.run(() => 7);
  await assert.rejects(bad, /boom/);
  assert.equal(await good, 7);
});

test('idle() resolves only when nothing runs or waits', async () => {
  const q = new SerialQueue(4);
  const g = gate();
  let done = false;
  void q.run(() => g.wait.then(() => (done = true)));
  const idle = q.idle().then(() => done);
  await new Promise((r) => setTimeout(r, 5));
  g.open();
  assert.equal(await idle, true);
});
