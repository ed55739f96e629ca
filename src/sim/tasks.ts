import { seededRandom } from '../ops/random.js';
import type { TabletopEnv } from './env.js';
import { BUTTON_TRAVEL, DRAWER_TRAVEL, drawerInterior, objectHalfHeight, surfaceAbove, type Rgb, type SceneObject } from './scene.js';

/**
 * The four suites, mirroring LIBERO's kinds of test: spatial (two identical blocks told apart by a
 * spatial relation), object (the named object among distractors, into the basket), goal (one fixed
 * scene with a drawer and a stove, ten goals), long (two goals in sequence). Each task has 50 seeded
 * initial states.
 */
export type SuiteName = 'spatial' | 'object' | 'goal' | 'long';
export const SUITES: readonly SuiteName[] = ['spatial', 'object', 'goal', 'long'];
/** LIBERO's step limits per suite. */
export const STEP_LIMITS: Record<SuiteName, number> = { spatial: 220, object: 280, goal: 300, long: 520 };
export const INITIAL_STATES = 50;
/**
 * Demonstrations come from states the benchmark never evaluates on (as LIBERO's demos do):
 * TRAINING_STATES.first .. TRAINING_STATES.end - 1. Seeds stay distinct per task below 1009.
 */
export const TRAINING_STATES = { first: 100, end: 1000 } as const;

/** True for an evaluation state (0..49) or a training state (100..999). */
export function isValidState(init: number): boolean {
  return Number.isInteger(init) && ((init >= 0 && init < INITIAL_STATES) || (init >= TRAINING_STATES.first && init < TRAINING_STATES.end));
}

/**
 * A goal on the physics state. place: `object` rests on/in `place` (plate, tray, basket, stove,
 * cabinet top, or another object to stack on; `offset` is where on it the expert aims); stow:
 * `object` lies inside the cabinet's drawer; drawer: the drawer is open / closed; press: the
 * stove's button is down; push: `object` slid in front of the line y = `frontOf`.
 */
export type Goal =
  | { kind: 'place'; object: string; place: string; offset?: [number, number] }
  | { kind: 'stow'; object: string; cabinet: string }
  | { kind: 'drawer'; cabinet: string; open: boolean }
  | { kind: 'press'; stove: string }
  | { kind: 'push'; object: string; frontOf: number };

export interface Task {
  suite: SuiteName;
  index: number;
  /** LIBERO-style name: the instruction with underscores. */
  name: string;
  instruction: string;
  stepLimit: number;
  /** Goals that must hold in order (one, or two for the long suite). */
  goals: Goal[];
  /** The scene at initial state i (0..49 evaluation, 100..999 training), deterministic. */
  scene(init: number): SceneObject[];
}

/** Saturated, mutually distinct colors (a policy sees them at ~128 px). */
const C = {
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
  teal: [0.1, 0.42, 0.45],
  charcoal: [0.22, 0.22, 0.25],
} satisfies Record<string, Rgb>;

/** Seeded Fisher-Yates shuffle (a sort with a random comparator is biased and engine dependent). */
function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const block = (name: string, color: Rgb, x: number, y: number, half = 0.025): SceneObject => ({ name, kind: 'block', color, x, y, size: [half, half, half] });
const can = (name: string, color: Rgb, x: number, y: number): SceneObject => ({ name, kind: 'can', color, x, y, size: [0.025, 0.04] });
const plate = (x: number, y: number): SceneObject => ({ name: 'plate', kind: 'plate', color: C.white, x, y, size: [0.075, 0.006] });
const tray = (x: number, y: number): SceneObject => ({ name: 'tray', kind: 'tray', color: C.gray, x, y, size: [0.07, 0.055, 0.006] });
const basket = (x: number, y: number): SceneObject => ({ name: 'basket', kind: 'basket', color: C.brown, x, y, size: [0.075, 0.065, 0.04] });
const cabinet = (x: number, y: number, open: number): SceneObject => ({ name: 'cabinet', kind: 'cabinet', color: C.teal, x, y, size: [0.09, 0.08, 0.06], open });
const stove = (x: number, y: number): SceneObject => ({ name: 'stove', kind: 'stove', color: C.charcoal, x, y, size: [0.07, 0.07, 0.015] });

/** Moves every movable object by up to ±amount in x and y (seeded); fixtures move by a third of that. */
function jitter(objects: SceneObject[], seed: number, amount = 0.015): SceneObject[] {
  const rand = seededRandom(seed);
  return objects.map((o) => {
    const a = o.kind === 'cabinet' || o.kind === 'stove' ? amount / 3 : amount;
    return { ...o, x: o.x + (rand() * 2 - 1) * a, y: o.y + (rand() * 2 - 1) * a };
  });
}

function task(suite: SuiteName, index: number, instruction: string, goals: Goal[], layout: (init: number) => SceneObject[]): Task {
  return { suite, index, instruction, name: instruction.replace(/ /g, '_'), stepLimit: STEP_LIMITS[suite], goals, scene: layout };
}

const seedOf = (suite: number, t: number, init: number) => 1_000_003 * suite + 1009 * t + init + 7;

/**
 * Spatial: which of two identical red blocks to move is told by where it is. [relation, target xy,
 * other xy]. Neighbours along x (the fingers' closing axis) stay clear of the open fingers.
 */
const SPATIAL: [string, [number, number], [number, number]][] = [
  ['next to the blue can', [0.13, 0.08], [-0.04, -0.1]],
  ['next to the gray tray', [0.05, -0.12], [-0.02, 0.15]],
  ['on the left', [-0.06, 0.1], [0.08, 0.1]],
  ['on the right', [0.08, 0.1], [-0.06, 0.1]],
  ['in the front', [0.02, -0.12], [0.02, 0.12]],
  ['in the back', [0.02, 0.12], [0.02, -0.12]],
  ['closest to the plate', [-0.07, 0.06], [0.1, 0.03]],
  ['farthest from the plate', [0.1, 0.03], [-0.07, 0.06]],
  ['between the plate and the blue can', [0.0, 0.04], [0.06, -0.14]],
  ['next to the yellow block', [-0.04, 0.1], [0.1, -0.03]],
];

function spatialTask(t: number): Task {
  const [relation, target, other] = SPATIAL[t]!;
  return task('spatial', t, `pick up the red block ${relation} and place it on the plate`, [{ kind: 'place', object: 'target_block', place: 'plate' }], (init) =>
    jitter(
      [
        plate(-0.18, -0.05),
        can('blue_can', C.blue, 0.2, 0.15),
        tray(0.2, -0.11),
        block('yellow_block', C.yellow, -0.12, 0.17),
        block('target_block', C.red, ...target),
        block('other_block', C.red, ...other),
      ],
      seedOf(1, t, init),
    ),
  );
}

/** Object: ten named objects; the task's one plus three distractors, in shuffled slots, and the basket. */
const OBJECTS: [string, 'block' | 'can', Rgb][] = [
  ['red block', 'block', C.red],
  ['blue can', 'can', C.blue],
  ['green block', 'block', C.green],
  ['yellow can', 'can', C.yellow],
  ['orange block', 'block', C.orange],
  ['purple can', 'can', C.purple],
  ['cyan block', 'block', C.cyan],
  ['pink can', 'can', C.pink],
  ['black block', 'block', C.black],
  ['white can', 'can', C.white],
];
const SLOTS: [number, number][] = [[-0.2, 0.1], [-0.05, 0.14], [-0.12, -0.08], [0.03, -0.1]];
const objectName = (i: number) => OBJECTS[i]![0].replace(' ', '_');

/** The basket scene with the named objects (by index into OBJECTS) first, then distractors, in shuffled slots. */
function basketScene(named: number[], seed: number): SceneObject[] {
  const rand = seededRandom(seed);
  const others = shuffle(OBJECTS.map((_, i) => i).filter((i) => !named.includes(i)), rand).slice(0, SLOTS.length - named.length);
  const slots = shuffle(SLOTS, rand);
  const objects = [...named, ...others].map((i, k) => {
    const [, kind, color] = OBJECTS[i]!;
    return (kind === 'block' ? block : can)(objectName(i), color, ...slots[k]!);
  });
  return jitter([basket(0.18, 0.06), ...objects], seed + 1);
}

function objectTask(t: number): Task {
  return task('object', t, `pick up the ${OBJECTS[t]![0]} and place it in the basket`, [{ kind: 'place', object: objectName(t), place: 'basket' }], (init) =>
    basketScene([t], seedOf(2, t, init)),
  );
}

/**
 * Goal: one fixed scene, a cabinet with a drawer (back left), a stove with a button (back right), a
 * plate, two blocks, a can and a box to push. `drawerOpen` is the drawer's initial opening.
 */
function kitchenScene(seed: number, drawerOpen = 0): SceneObject[] {
  return jitter(
    [
      cabinet(-0.2, 0.17, drawerOpen),
      stove(0.2, 0.17),
      plate(-0.22, -0.17),
      block('red_block', C.red, -0.02, 0.13),
      block('yellow_block', C.yellow, 0.02, -0.15),
      can('blue_can', C.blue, -0.03, -0.06),
      { ...block('green_box', C.green, 0.12, -0.02, 0.025), size: [0.03, 0.03, 0.025] },
    ],
    seed,
  );
}

const FRONT_LINE = -0.13;
const GOALS: [string, Goal[]][] = [
  ['open the drawer of the cabinet', [{ kind: 'drawer', cabinet: 'cabinet', open: true }]],
  ['put the red block on the plate', [{ kind: 'place', object: 'red_block', place: 'plate' }]],
  ['put the blue can on the stove', [{ kind: 'place', object: 'blue_can', place: 'stove' }]],
  ['open the drawer and put the red block inside', [{ kind: 'drawer', cabinet: 'cabinet', open: true }, { kind: 'stow', object: 'red_block', cabinet: 'cabinet' }]],
  ['put the yellow block on top of the cabinet', [{ kind: 'place', object: 'yellow_block', place: 'cabinet' }]],
  ['push the green box to the front of the table', [{ kind: 'push', object: 'green_box', frontOf: FRONT_LINE }]],
  ['put the blue can on the plate', [{ kind: 'place', object: 'blue_can', place: 'plate' }]],
  ['turn on the stove', [{ kind: 'press', stove: 'stove' }]],
  ['stack the red block on the yellow block', [{ kind: 'place', object: 'red_block', place: 'yellow_block' }]],
  ['put the yellow block on the stove', [{ kind: 'place', object: 'yellow_block', place: 'stove' }]],
];

function goalTask(t: number): Task {
  const [instruction, goals] = GOALS[t]!;
  return task('goal', t, instruction, goals, (init) => kitchenScene(seedOf(3, t, init)));
}

/**
 * Long: two sub-goals in sequence. The first five in the kitchen scene with the drawer left open
 * (LIBERO's "put the bowl in the drawer and close it"), the rest in the basket scene.
 */
const LONG: [string, Goal[], 'kitchen' | number[]][] = [
  ['put the red block in the drawer and close it', [{ kind: 'stow', object: 'red_block', cabinet: 'cabinet' }, { kind: 'drawer', cabinet: 'cabinet', open: false }], 'kitchen'],
  ['turn on the stove and put the blue can on it', [{ kind: 'press', stove: 'stove' }, { kind: 'place', object: 'blue_can', place: 'stove' }], 'kitchen'],
  ['put the red block on the plate and the yellow block on top of the cabinet', [{ kind: 'place', object: 'red_block', place: 'plate' }, { kind: 'place', object: 'yellow_block', place: 'cabinet' }], 'kitchen'],
  ['put the yellow block in the drawer and close it', [{ kind: 'stow', object: 'yellow_block', cabinet: 'cabinet' }, { kind: 'drawer', cabinet: 'cabinet', open: false }], 'kitchen'],
  ['push the green box to the front and put the blue can on the stove', [{ kind: 'push', object: 'green_box', frontOf: FRONT_LINE }, { kind: 'place', object: 'blue_can', place: 'stove' }], 'kitchen'],
  ...([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]] as const).map(([a, b]): [string, Goal[], number[]] => [
    `put both the ${OBJECTS[a]![0]} and the ${OBJECTS[b]![0]} in the basket`,
    [
      { kind: 'place', object: objectName(a), place: 'basket', offset: [-0.035, 0] },
      { kind: 'place', object: objectName(b), place: 'basket', offset: [0.035, 0] },
    ],
    [a, b],
  ]),
];

function longTask(t: number): Task {
  const [instruction, goals, scene] = LONG[t]!;
  return task('long', t, instruction, goals, (init) => (scene === 'kitchen' ? kitchenScene(seedOf(4, t, init), DRAWER_TRAVEL) : basketScene(scene, seedOf(4, t, init))));
}

const BUILDERS: Record<SuiteName, (t: number) => Task> = { spatial: spatialTask, object: objectTask, goal: goalTask, long: longTask };

export function suiteTasks(suite: SuiteName): Task[] {
  return Array.from({ length: 10 }, (_, t) => BUILDERS[suite](t));
}

/**
 * The object suite's task `task` on the layout another of its tasks has at `init`: the one after it
 * (cycling, starting at an offset that turns with `init`) whose basket scene holds the named object
 * among its distractors. The same frames then come with two instructions and two different first
 * moves, which a policy can only tell apart by reading the instruction: trained on each layout with
 * its own instruction only, the cloned policy headed for the same object whatever it was told.
 * Null when no other layout at `init` holds the object.
 */
export function relabelledLayout(task: Task, init: number): Task | null {
  if (task.suite !== 'object') throw new Error(`relabelled layouts exist for the object suite only, not ${task.suite}`);
  const named = objectName(task.index);
  for (let step = 1; step <= OBJECTS.length; step++) {
    const other = objectTask((task.index + step + init) % OBJECTS.length);
    if (other.index === task.index || !other.scene(init).some((o) => o.name === named)) continue;
    return { ...task, scene: (i) => other.scene(i) };
  }
  return null;
}

/** A suite: its name, LIBERO's step limit for it, and its ten tasks. */
export interface Suite {
  name: SuiteName;
  stepLimit: number;
  tasks: Task[];
}

export function getSuite(name: string): Suite {
  if (!SUITES.includes(name as SuiteName)) throw new Error(`unknown suite "${name}"; suites: ${SUITES.join(', ')}`);
  const suite = name as SuiteName;
  return { name: suite, stepLimit: STEP_LIMITS[suite], tasks: suiteTasks(suite) };
}

export function getTask(suite: string, index: number): Task {
  const { name } = getSuite(suite);
  if (!Number.isInteger(index) || index < 0 || index > 9) throw new Error(`task index must be 0..9, got ${index}`);
  return BUILDERS[name](index);
}

/** Drawer opening (m) past which it counts as open, and below which as closed. */
const DRAWER_OPEN = 0.1;
const DRAWER_CLOSED = 0.01;

/** Whether `goal` holds in the current physics state. */
export function goalHolds(env: TabletopEnv, scene: readonly SceneObject[], goal: Goal): boolean {
  const find = (name: string) => {
    const o = scene.find((s) => s.name === name);
    if (!o) throw new Error(`goal names "${name}", which is not in the scene`);
    return o;
  };
  switch (goal.kind) {
    case 'drawer': {
      const q = env.jointPos(`${find(goal.cabinet).name}_drawer`);
      return goal.open ? q > DRAWER_OPEN : q < DRAWER_CLOSED;
    }
    case 'press':
      return env.jointPos(`${find(goal.stove).name}_button`) < -0.7 * BUTTON_TRAVEL;
    case 'push': {
      const o = find(goal.object);
      const p = env.bodyPos(o.name);
      return p[1] < goal.frontOf && Math.abs(p[2] - objectHalfHeight(o)) < 0.01;
    }
    case 'stow': {
      const o = find(goal.object);
      const inner = drawerInterior(find(goal.cabinet));
      const p = env.bodyPos(o.name);
      const q = env.bodyPos(`${goal.cabinet}_drawer`);
      return Math.abs(p[0] - q[0]) < inner.halfX && Math.abs(p[1] - q[1]) < inner.halfY && p[2] - objectHalfHeight(o) < inner.floorZ + 0.01;
    }
    case 'place': {
      const obj = find(goal.object);
      const place = find(goal.place);
      const p = env.bodyPos(obj.name);
      const q = env.bodyPos(place.name);
      const dx = Math.abs(p[0] - q[0]);
      const dy = Math.abs(p[1] - q[1]);
      const bottom = p[2] - objectHalfHeight(obj);
      const top = q[2] + surfaceAbove(place);
      const resting = bottom > top - 0.005 && bottom < top + 0.015;
      switch (place.kind) {
        case 'plate':
          return Math.hypot(dx, dy) < place.size[0]! - 0.01 && resting;
        case 'basket':
          return dx < place.size[0]! - 0.015 && dy < place.size[1]! - 0.015 && bottom < q[2] + place.size[2]!;
        case 'block':
        case 'can':
          return Math.hypot(dx, dy) < 0.02 && resting;
        default:
          return dx < place.size[0]! - 0.01 && dy < place.size[1]! - 0.01 && resting;
      }
    }
  }
}
