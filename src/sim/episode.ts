import type { TabletopEnv, Observation } from './env.js';
import { Expert } from './expert.js';
import type { RgbImage } from '../model/index.js';
import { goalHolds, INITIAL_STATES, isValidState, TRAINING_STATES, type Task } from './tasks.js';

/** A policy maps an observation and the instruction to a 7-D action (gripper -1 open, +1 close). */
export type Policy = (obs: Observation, instruction: string) => number[] | Promise<number[]>;

export interface EpisodeOptions {
  /** Keep every observed frame (for PNG/GIF output and datasets). */
  record?: boolean;
  /** Override the suite's step limit. */
  stepLimit?: number;
  /** Called after each policy step. */
  onStep?: (step: number, obs: Observation, action: number[]) => void;
}

export interface EpisodeResult {
  success: boolean;
  /** Policy steps taken (the no-op steps excluded). */
  steps: number;
  frames: RgbImage[];
  actions: number[][];
  /** The observation each action answered (with `record`). */
  observations: Observation[];
}

/** LIBERO's protocol: 10 no-op steps while objects settle. */
export const NO_OP_STEPS = 10;
const NO_OP = [0, 0, 0, 0, 0, 0, -1];

/**
 * Runs one episode with LIBERO's protocol: reset to the task's initial state `init`, 10 no-op
 * steps, then the policy until the task's goals hold (in order, for two-goal tasks) or the step
 * limit. Deterministic for a given task, init and policy.
 */
export async function runEpisode(env: TabletopEnv, task: Task, init: number, policy: Policy, opts: EpisodeOptions = {}): Promise<EpisodeResult> {
  if (!isValidState(init)) throw new Error(`initial state must be 0..${INITIAL_STATES - 1} (evaluation) or ${TRAINING_STATES.first}..${TRAINING_STATES.end - 1} (training), got ${init}`);
  const scene = task.scene(init);
  env.reset(scene);
  for (let i = 0; i < NO_OP_STEPS; i++) env.step(NO_OP);
  const limit = opts.stepLimit ?? task.stepLimit;
  const result: EpisodeResult = { success: false, steps: 0, frames: [], actions: [], observations: [] };
  let goal = 0;
  let obs = env.observe();
  if (opts.record) result.frames.push(obs.image);
  while (result.steps < limit) {
    const action = await policy(obs, task.instruction);
    env.step(action);
    result.steps++;
    if (opts.record) {
      result.actions.push([...action]);
      result.observations.push(obs);
    }
    obs = env.observe();
    if (opts.record) result.frames.push(obs.image);
    opts.onStep?.(result.steps, obs, action);
    while (goal < task.goals.length && goalHolds(env, scene, task.goals[goal]!)) goal++;
    if (goal === task.goals.length) {
      result.success = true;
      break;
    }
  }
  return result;
}

/** The scripted expert for a task as a Policy (it reads the simulator's object poses). */
export function expertPolicy(env: TabletopEnv, task: Task, init: number): Policy {
  let expert: Expert | null = null;
  return (obs) => {
    expert ??= new Expert(env, task.scene(init), task.goals);
    return expert.act(obs);
  };
}
