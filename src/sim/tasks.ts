import { seededRandom } from '../ops/testing.js';
import type { TabletopEnv } from './env.js';
import { objectHalfHeight, TABLE_Z, type Rgb, type SceneObject } from './scene.js';

/**
 * The four suites, mirroring LIBERO's kinds of test: spatial (two identical blocks told apart by a
 * spatial relation), object (the named object among distractors, into the basket), goal (one fixed
 * scene, ten goals), long (two goals in sequence). Each task has 50 seeded initial states.
 */
export type SuiteName = 'spatial' | 'object' | 'goal' | 'long';
export const SUITES: readonly SuiteName[] = ['spatial', 'object', 'goal', 'long'];
/** LIBERO's step limits per suite. */
export const STEP_LIMITS: Record<SuiteName, number> = { spatial: 220, object: 280, goal: 300, long: 520 };
export const INITIAL_STATES = 50;

/** Put `object` on/into `place` (a plate, tray, basket, or another block to stack on). */
export interface PlaceGoal {
  object: string;
  place: string;
}

export interface Task {
  suite: SuiteName;
  index: number;
  /** LIBERO-style name: the instruction with underscores. */
  name: string;
  instruction: string;
  stepLimit: number;
  /** Sub-goals in order (one, or two for the long suite). */
  goals: PlaceGoal[];
  /** The scene at initial state i (0..49), deterministic. */
  scene(init: number): SceneObject[];
}

const C: Record<string, Rgb> = {
  red: [0.86, 0.12, 0.1],
  blue: [0.12, 0.3, 0.9],
  green: [0.1, 0.7, 0.2],
  yellow: [0.95, 0.82, 0.1],
  orange: [0.98, 0.5, 0.05],
  purple: [0.55, 0.2, 0.75],
  cyan: [0.1, 0.8, 0.85],
  pink: [0.98, 0.45, 0.7],
  white: [0.95, 0.95, 0.93],
  black: [0.08, 0.08, 0.1],
  brown: [0.5, 0.3, 0.12],
  gray: [0.55, 0.58, 0.6],
};

const block = (name: string, color: Rgb, x: number, y: number): SceneObject => ({ name, kind: 'block', color, x, y, size: [0.02, 0.02, 0.02] });
const can = (name: string, color: Rgb, x: number, y: number): SceneObject => ({ name, kind: 'can', color, x, y, size: [0.02, 0.035] });
const plate = (x: number, y: number): SceneObject => ({ name: 'plate', kind: 'plate', color: C.white!, x, y, size: [0.075, 0.006] });
const tray = (x: number, y: number): SceneObject => ({ name: 'tray', kind: 'tray', color: C.gray!, x, y, size: [0.07, 0.055, 0.006] });
const basket = (x: number, y: number): SceneObject => ({ name: 'basket', kind: 'basket', color: C.brown!, x, y, size: [0.075, 0.065, 0.04] });

/** Jitters every object by up to ±2 cm (seeded by suite, task and initial state). */
function jitter(objects: SceneObject[], seed: number, amount = 0.02): SceneObject[] {
  const rand = seededRandom(seed);
  return objects.map((o) => ({ ...o, x: o.x + (rand() * 2 - 1) * amount, y: o.y + (rand() * 2 - 1) * amount }));
}

function task(suite: SuiteName, index: number, instruction: string, goals: PlaceGoal[], layout: (init: number) => SceneObject[]): Task {
  return { suite, index, instruction, name: instruction.replace(/ /g, '_'), stepLimit: STEP_LIMITS[suite], goals, scene: layout };
}

const seedOf = (suite: number, t: number, init: number) => 1_000_003 * suite + 1009 * t + init + 7;

/** Spatial: which of two identical red blocks to move is told by where it is. [relation, target xy, other xy] */
const SPATIAL: [string, [number, number], [number, number]][] = [
  ['next to the blue can', [0.11, 0.13], [-0.04, -0.1]],
  ['next to the gray tray', [0.08, -0.1], [-0.02, 0.15]],
  ['on the left', [-0.06, 0.1], [0.08, 0.1]],
  ['on the right', [0.08, 0.1], [-0.06, 0.1]],
  ['in the front', [0.02, -0.12], [0.02, 0.12]],
  ['in the back', [0.02, 0.12], [0.02, -0.12]],
  ['closest to the plate', [-0.07, 0.06], [0.1, 0.03]],
  ['farthest from the plate', [0.1, 0.03], [-0.07, 0.06]],
  ['between the plate and the blue can', [0.0, 0.04], [0.06, -0.14]],
  ['next to the yellow block', [-0.02, 0.17], [0.1, -0.03]],
];

function spatialTask(t: number): Task {
  const [relation, target, other] = SPATIAL[t]!;
  return task('spatial', t, `pick up the red block ${relation} and place it on the plate`, [{ object: 'target_block', place: 'plate' }], (init) =>
    jitter(
      [
        plate(-0.18, -0.05),
        can('blue_can', C.blue!, 0.2, 0.15),
        tray(0.2, -0.11),
        block('yellow_block', C.yellow!, -0.12, 0.17),
        block('target_block', C.red!, ...target),
        block('other_block', C.red!, ...other),
      ],
      seedOf(1, t, init),
      0.015,
    ),
  );
}

/** Object: ten named objects; the task's one plus three distractors, in shuffled slots, and the basket. */
const OBJECTS: [string, 'block' | 'can', Rgb][] = [
  ['red block', 'block', C.red!],
  ['blue can', 'can', C.blue!],
  ['green block', 'block', C.green!],
  ['yellow can', 'can', C.yellow!],
  ['orange block', 'block', C.orange!],
  ['purple can', 'can', C.purple!],
  ['cyan block', 'block', C.cyan!],
  ['pink can', 'can', C.pink!],
  ['black block', 'block', C.black!],
  ['white can', 'can', C.white!],
];
const SLOTS: [number, number][] = [[-0.2, 0.1], [-0.05, 0.14], [-0.12, -0.08], [0.03, -0.1]];

function objectTask(t: number): Task {
  const [label] = OBJECTS[t]!;
  const name = label.replace(' ', '_');
  return task('object', t, `pick up the ${label} and place it in the basket`, [{ object: name, place: 'basket' }], (init) => {
    const rand = seededRandom(seedOf(2, t, init));
    const others = OBJECTS.filter((_, i) => i !== t).sort(() => rand() - 0.5).slice(0, 3);
    const chosen = [OBJECTS[t]!, ...others].map(([l, kind, color]) => ({ n: l.replace(' ', '_'), kind, color }));
    const slots = [...SLOTS].sort(() => rand() - 0.5);
    const objects = chosen.map(({ n, kind, color }, i) => (kind === 'block' ? block : can)(n, color, ...slots[i]!));
    return jitter([basket(0.18, 0.06), ...objects], seedOf(2, t, init) + 1, 0.015);
  });
}

/** Goal: one fixed scene, ten goals. */
const GOAL_SCENE = (init: number, t: number, suite = 3): SceneObject[] =>
  jitter(
    [
      plate(-0.18, -0.06),
      basket(0.19, 0.08),
      tray(0.17, -0.12),
      block('red_block', C.red!, -0.05, 0.12),
      can('blue_can', C.blue!, 0.03, -0.04),
      block('yellow_block', C.yellow!, -0.16, 0.12),
    ],
    seedOf(suite, t, init),
    0.015,
  );
const GOALS: [string, PlaceGoal][] = [
  ['put the red block on the plate', { object: 'red_block', place: 'plate' }],
  ['put the red block in the basket', { object: 'red_block', place: 'basket' }],
  ['put the red block on the tray', { object: 'red_block', place: 'tray' }],
  ['put the blue can on the plate', { object: 'blue_can', place: 'plate' }],
  ['put the blue can in the basket', { object: 'blue_can', place: 'basket' }],
  ['put the blue can on the tray', { object: 'blue_can', place: 'tray' }],
  ['put the yellow block on the plate', { object: 'yellow_block', place: 'plate' }],
  ['put the yellow block in the basket', { object: 'yellow_block', place: 'basket' }],
  ['put the yellow block on the tray', { object: 'yellow_block', place: 'tray' }],
  ['stack the red block on the yellow block', { object: 'red_block', place: 'yellow_block' }],
];

function goalTask(t: number): Task {
  const [instruction, goal] = GOALS[t]!;
  return task('goal', t, instruction, [goal], (init) => GOAL_SCENE(init, t));
}

/** Long: two goals in sequence, in the goal suite's scene. [first goal, second goal] by index into GOALS. */
const LONG: [number, number][] = [[0, 4], [3, 7], [6, 1], [0, 5], [3, 8], [6, 2], [1, 3], [4, 6], [7, 0], [2, 4]];

function longTask(t: number): Task {
  const [a, b] = LONG[t]!;
  const [ia, ga] = GOALS[a]!;
  const [ib, gb] = GOALS[b]!;
  return task('long', t, `${ia} and ${ib}`, [ga, gb], (init) => GOAL_SCENE(init, t, 4));
}

const BUILDERS: Record<SuiteName, (t: number) => Task> = { spatial: spatialTask, object: objectTask, goal: goalTask, long: longTask };

export function suiteTasks(suite: SuiteName): Task[] {
  return Array.from({ length: 10 }, (_, t) => BUILDERS[suite](t));
}

export function getTask(suite: string, index: number): Task {
  if (!SUITES.includes(suite as SuiteName)) throw new Error(`unknown suite "${suite}"; suites: ${SUITES.join(', ')}`);
  if (!Number.isInteger(index) || index < 0 || index > 9) throw new Error(`task index must be 0..9, got ${index}`);
  return BUILDERS[suite as SuiteName](index);
}

/** Whether `goal` holds in the current physics state: the object rests on or in its place. */
export function goalHolds(env: TabletopEnv, scene: readonly SceneObject[], goal: PlaceGoal): boolean {
  const obj = scene.find((o) => o.name === goal.object);
  const place = scene.find((o) => o.name === goal.place);
  if (!obj || !place) throw new Error(`goal ${goal.object} -> ${goal.place} names an object not in the scene`);
  const p = env.bodyPos(obj.name);
  const q = env.bodyPos(place.name);
  const h = objectHalfHeight(obj);
  const dx = Math.abs(p[0] - q[0]);
  const dy = Math.abs(p[1] - q[1]);
  const bottom = p[2] - h;
  switch (place.kind) {
    case 'plate':
      return Math.hypot(dx, dy) < place.size[0]! - 0.01 && bottom > q[2] && bottom < q[2] + place.size[1]! + 0.015;
    case 'tray':
      return dx < place.size[0]! - 0.01 && dy < place.size[1]! - 0.01 && bottom > q[2] && bottom < q[2] + place.size[2]! + 0.015;
    case 'basket':
      return dx < place.size[0]! - 0.015 && dy < place.size[1]! - 0.015 && p[2] < TABLE_Z + 2 * place.size[2]!;
    case 'block':
    case 'can': {
      const top = q[2] + objectHalfHeight(place);
      return Math.hypot(dx, dy) < 0.02 && bottom > top - 0.005 && bottom < top + 0.015;
    }
  }
}
