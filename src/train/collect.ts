import { gripperFromEnv, resize } from '../model/index.js';
import { gaussian, seededRandom } from '../ops/index.js';
import { Expert, EXPERT_SPEED, MAX_TRANSLATION, projector, relabelledLayout, TABLE_Z, runEpisode, suiteTasks, TabletopEnv, TRAINING_STATES, type Policy, type SuiteName, type Task } from '../sim/index.js';
import { actionStats, EpisodeStore, sameGripperCommand, type ActionStats } from './dataset.js';

export interface CollectOptions {
  suites: SuiteName[];
  /** Episodes per task: training states TRAINING_STATES.first + 0..n-1 (never the evaluation states). */
  episodesPerTask: number;
  out: string;
  /** Frame size stored (the policy's input size); frames are rendered at 256 and resized with antialiasing. */
  size: number;
  /** Also store the wrist camera's frames at this size (the policy's wrist input; rendered at 128 and resized); 0 or absent: none. */
  wristSize?: number;
  /** Keep only every k-th step (1 = all). */
  every?: number;
  /**
   * Std of Gaussian noise added to the executed hand motion (x, y, z; 1 = 5 cm per step), 0 = none.
   * The stored label stays the expert's clean action, so the policy also learns how the expert
   * recovers from small deviations (DART) instead of only ever seeing its perfect path.
   */
  noise?: number;
  /**
   * Probability that a grasp or a release starts one step late: on the frame where the expert first
   * closes (or opens) the fingers, the previous step's action is executed once more, so the next
   * frame shows the overshoot (the open hand pressed onto the table, the object pushed onto the
   * plate) with the expert's answer to it ("close", "release") as its label. A cloned policy that
   * decides a step late reaches exactly that frame, which clean demonstrations never show.
   */
  late?: number;
  /**
   * Largest random offset of the hand from its usual start (m on x and y, a third of it on z), reached
   * in a few unrecorded moves before the expert takes over. Demonstrations that all start at one spot
   * let a policy read the way to go from how far the hand has come (keep going) instead of from where
   * the instructed object is; from many starts every approach frame has to be read.
   */
  startOffset?: number;
  /**
   * Probability, on each step of an approach or a carry, that the hand is carried off its course
   * for 1..EXCURSION_STEPS steps in a random full-speed direction, the expert labelling every frame
   * (its target stays fixed, so the labels point back). The expert's approach is +y on most frames
   * (and in the spatial suite its carry -x): a policy learns "approach: go back" instead of "go to
   * the object", and a hand that overshoots sees frames no demonstration showed and keeps going to
   * the workspace edge.
   */
  excursions?: number;
  /**
   * Probability that an approach or a carry runs on past its end: its last motion executed for
   * 1..EXCURSION_STEPS more steps while the expert, now in its next phase, labels the way back. A
   * policy that stops a step late reaches exactly those frames (the hand past the object, then on
   * to the workspace edge), which the expert, stopping within 5 mm, never showed.
   */
  overshoot?: number;
  /** Render the overhead lamp's shadows (default on; off reproduces datasets from before shadows). */
  shadows?: boolean;
  /** First training state (default TRAINING_STATES.first): a later round takes states no earlier round used. */
  firstInit?: number;
  /**
   * DAgger: a policy that acts in the episode instead of the expert, except on a random `expertShare`
   * of the steps. The expert still labels every frame, so the dataset holds the states the policy
   * itself reaches (the hand stopped short of the object, stuck on the table) with the expert's way
   * out of them. Episodes are kept whether or not they succeed.
   */
  learner?: { policy: (task: Task) => Policy; expertShare: number };
  /**
   * Object suite only: each task's episodes run on the layouts of other tasks that hold its object
   * (relabelledLayout), so the same frames appear with another instruction in a dataset of the
   * tasks' own layouts. Keep them in a dataset of their own: episodes are keyed by task and state.
   */
  relabel?: boolean;
  onEpisode?: (done: number, total: number, success: boolean) => void;
}

/**
 * Runs the scripted experts over every task of the given suites and stores the successful
 * demonstrations: frames at the policy's input size, the instruction, and the env actions (with a
 * learner: the states it reaches, labelled by the expert).
 * Resumable: episodes already in the store are skipped.
 */
export async function collectDemonstrations(opts: CollectOptions): Promise<EpisodeStore> {
  const wristSize = opts.wristSize ?? 0;
  const store = EpisodeStore.open(opts.out, { width: opts.size, height: opts.size, wristSize });
  const env = await TabletopEnv.create({ imageSize: 256, shadows: opts.shadows ?? true, wristView: wristSize > 0 });
  const every = opts.every ?? 1;
  const maxEpisodes = TRAINING_STATES.end - TRAINING_STATES.first;
  if (!Number.isInteger(opts.episodesPerTask) || opts.episodesPerTask < 1 || opts.episodesPerTask > maxEpisodes) throw new Error(`episodes per task must be 1..${maxEpisodes}, got ${opts.episodesPerTask}`);
  const first = opts.firstInit ?? TRAINING_STATES.first;
  if (!Number.isInteger(first) || first < TRAINING_STATES.first || first + opts.episodesPerTask > TRAINING_STATES.end) throw new Error(`training states run ${TRAINING_STATES.first}..${TRAINING_STATES.end - 1}: cannot take ${opts.episodesPerTask} from ${first}`);
  const ownTasks = opts.suites.flatMap((suite) => suiteTasks(suite).flatMap((task) => Array.from({ length: opts.episodesPerTask }, (_, i) => ({ task, init: first + i }))));
  const jobs = opts.relabel ? ownTasks.flatMap(({ task, init }) => { const t = relabelledLayout(task, init); return t ? [{ task: t, init }] : []; }) : ownTasks;
  let done = 0;
  for (const { task, init } of jobs) {
    done++;
    if (store.has(task.suite, task.index, init)) continue;
    const labels: (number[] | null)[] = [];
    const points: number[][] = [];
    const states: number[][] = [];
    const rand = seededRandom(task.index * 7919 + init);
    const expert = new Expert(env, task.scene(init), task.goals);
    const toPixel = projector(env.camera, opts.size, opts.size);
    const demonstrator = lateGrip(noisy(
      (obs) => {
        const action = expert.act(obs);
        // The aim is drawn where it meets the table: on the object, plate or drawer it is about, not in mid-air above it.
        const aim = expert.aim && [expert.aim[0], expert.aim[1], TABLE_Z];
        points.push([...pixelOf(toPixel, obs.state.eef, opts.size), ...pixelOf(toPixel, aim, opts.size)]);
        states.push([...obs.state.eef, obs.state.gripper, ...(expert.aim ?? obs.state.eef)].map(tenthOfMillimetre));
        return action;
      },
      opts.noise ?? 0,
      rand,
      labels,
    ), opts.late ?? 0, rand);
    const phase = () => expert.phaseName;
    const wandering = excursions(overshoot(demonstrator, opts.overshoot ?? 0, rand, phase), opts.excursions ?? 0, rand, phase);
    const actor = opts.learner ? dagger(wandering, opts.learner.policy(task), opts.learner.expertShare, rand, () => expert.done, labels) : wandering;
    const moves = startMoves(opts.startOffset ?? 0, rand);
    const r = await runEpisode(env, task, init, afterMoves(moves, actor), { record: true });
    opts.onEpisode?.(done, jobs.length, r.success);
    if (!r.success && !opts.learner) continue;
    const frames: Uint8Array[] = [];
    const wrist: Uint8Array[] = [];
    const actions: Float32Array[] = [];
    const kept: number[][] = [];
    const keptStates: number[][] = [];
    r.observations.forEach((obs, step) => {
      // The expert's step i is the episode's step moves.length + i; the start moves are not stored.
      const i = step - moves.length;
      const label = labels[i];
      if (i < 0 || i % every !== 0 || !label) return;
      frames.push(resize(obs.image, opts.size, opts.size).data);
      if (wristSize) wrist.push(resize(obs.wrist!, wristSize, wristSize).data);
      actions.push(Float32Array.from(label));
      kept.push(points[i]!);
      keptStates.push(states[i]!);
    });
    store.append({ suite: task.suite, task: task.index, init, instruction: task.instruction, success: r.success, width: opts.size, height: opts.size, frames, actions, points: kept, states: keptStates, ...(wristSize ? { wrist, wristSize } : {}) }, { dagger: !!opts.learner });
  }
  return store;
}

const tenthOfMillimetre = (v: number) => Math.round(v * 1e4) / 1e4;

/** A world point's pixel in a size x size frame, rounded to a tenth; [-1, -1] when absent or out of view. */
function pixelOf(toPixel: ReturnType<typeof projector>, p: readonly number[] | null, size: number): [number, number] {
  if (!p) return [-1, -1];
  const [x, y, depth] = toPixel(p);
  if (depth <= 0 || x < 0 || y < 0 || x >= size || y >= size) return [-1, -1];
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

/** The moves (env actions, fingers open) that take the hand to a random offset of at most `max` m from its start; none for 0. */
export function startMoves(max: number, rand: () => number): number[][] {
  if (max <= 0) return [];
  const offset = [max, max, max / 3].map((m) => (2 * rand() - 1) * m);
  const n = Math.max(1, Math.ceil(Math.max(...offset.map(Math.abs)) / MAX_TRANSLATION));
  const move = offset.map((o) => o / n / MAX_TRANSLATION);
  return Array.from({ length: n }, () => [...move, 0, 0, 0, -1]);
}

/** Executes `moves` first, then hands every later frame to `policy`. */
export function afterMoves(moves: readonly number[][], policy: Policy): Policy {
  let step = 0;
  return (obs, instruction) => (step < moves.length ? [...moves[step++]!] : policy(obs, instruction));
}

/** Runs `expert` with Gaussian noise on the executed hand motion, recording the clean actions in `labels`. */
export function noisy(expert: Policy, std: number, rand: () => number, labels: (number[] | null)[]): Policy {
  return async (obs, instruction) => {
    const clean = await expert(obs, instruction);
    labels.push(clean);
    return std > 0 ? clean.map((a, i) => (i < 3 ? a + std * gaussian(rand) : a)) : clean;
  };
}

/** Runs `expert`, but on a frame where its gripper command changes, with probability `p`, executes the previous step's action once more instead. */
export function lateGrip(expert: Policy, p: number, rand: () => number): Policy {
  let last: { label: number[]; executed: number[] } | null = null;
  return async (obs, instruction) => {
    const label = await expert(obs, instruction);
    const late = p > 0 && last !== null && !sameGripperCommand(last.label, label) && rand() < p;
    const executed = late ? last!.executed : label;
    last = { label, executed };
    return executed;
  };
}

/** The expert's phases that move the hand through free space to a place, where an excursion may start. */
const EXCURSION_PHASES = new Set(['approach', 'carry']);
/** The longest excursion, in steps (1 cm each). */
export const EXCURSION_STEPS = 6;

/**
 * Runs `expert` (which records its label for every frame), but on a step of an approach or a carry,
 * with probability `p`, executes instead 1..EXCURSION_STEPS steps of one random full-speed motion
 * (x and y not both still), fingers as the expert commands them. The expert then acts for at least
 * as many steps before the next one, so each excursion's way back is shown.
 */
export function excursions(expert: Policy, p: number, rand: () => number, phase: () => string): Policy {
  let left = 0;
  let rest = 0;
  let move: number[] = [];
  return async (obs, instruction) => {
    const label = await expert(obs, instruction);
    if (left === 0 && rest === 0 && p > 0 && EXCURSION_PHASES.has(phase()) && rand() < p) {
      left = rest = 1 + Math.floor(rand() * EXCURSION_STEPS);
      do move = [0, 1, 2].map(() => EXPERT_SPEED * (Math.floor(rand() * 3) - 1));
      while (move[0] === 0 && move[1] === 0);
    }
    if (left === 0) {
      rest = Math.max(0, rest - 1);
      return label;
    }
    left--;
    return [...move, 0, 0, 0, label[6]!];
  };
}

/** Runs `expert`, but when an approach or a carry has just ended, with probability `p`, repeats its last motion for 1..EXCURSION_STEPS steps. */
export function overshoot(expert: Policy, p: number, rand: () => number, phase: () => string): Policy {
  let last: { phase: string; move: number[] } | null = null;
  let left = 0;
  let move: number[] = [];
  return async (obs, instruction) => {
    const label = await expert(obs, instruction);
    const now = phase();
    if (left === 0 && p > 0 && last && EXCURSION_PHASES.has(last.phase) && now !== last.phase && rand() < p) {
      left = 1 + Math.floor(rand() * EXCURSION_STEPS);
      move = last.move;
    }
    last = { phase: now, move: label.slice(0, 3) };
    if (left === 0) return label;
    left--;
    return [...move, 0, 0, 0, label[6]!];
  };
}

/**
 * DAgger's mixture: the expert (which records its label) answers every frame; its action is executed
 * on an `expertShare` of the steps and the learner's on the rest. Once the expert has run out of
 * phases its "stand still" is no label for where the learner left things, so those frames' labels
 * become null (not stored).
 */
export function dagger(expert: Policy, learner: Policy, expertShare: number, rand: () => number, expertDone: () => boolean, labels: (number[] | null)[]): Policy {
  return async (obs, instruction) => {
    const finished = expertDone();
    const action = await expert(obs, instruction);
    if (finished) labels[labels.length - 1] = null;
    return rand() < expertShare ? action : learner(obs, instruction);
  };
}

/** Env actions -> the dataset convention OpenVLA trains on (gripper in [0, 1], 1 = open). */
export function toDatasetAction(envAction: ArrayLike<number>): number[] {
  const a = Array.from(envAction);
  a[6] = gripperFromEnv(a[6]! > 0 ? 1 : -1);
  return a;
}

/** q01/q99 statistics of a store's actions in the dataset convention (OpenVLA's norm_stats entry). */
export function storeActionStats(store: EpisodeStore): ActionStats {
  const all: Float32Array[] = [];
  for (const e of store.index.episodes) for (const a of store.read(e).actions) all.push(Float32Array.from(toDatasetAction(a)));
  return actionStats(all);
}
