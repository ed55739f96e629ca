/**
 * What perfect perception would be worth: a nearest-neighbour policy on the simulator's true state
 * (hand position, finger opening, and the positions of the objects the task's goals name), its
 * neighbours the frames of expert demonstrations from the training states, acting in closed loop on
 * the evaluation states. Where it succeeds, everything a policy needs is in the state the frame
 * shows, and a cloned pixel policy that fails is failing to read it.
 *
 * `--noise CM` and `--bias CM` blur the positions it acts on, as a pixel policy's reading of the
 * frame would: Gaussian noise of that standard deviation drawn anew each frame, and an offset drawn
 * once per episode (a misreading that persists while the layout stays), in centimetres per axis.
 * They tell how precisely a policy has to read the frame for the task to succeed.
 *
 * Usage: npx tsc -p . && node dist/bench/state-policy.js [--suite all] [--demos 40] [--inits 3]
 *   [--noise 0] [--bias 0] (about a minute per suite here)
 */
import { Expert, runEpisode, suiteTasks, TabletopEnv, TRAINING_STATES, type Goal, type Observation } from '../src/sim/index.js';
import { parseSuites } from '../src/apps/cli-args.js';
import { benchOption } from './args.js';
import { gaussian, seededRandom } from '../src/ops/random.js';

const suites = parseSuites(benchOption('suite', 'all'));
const demos = Number(benchOption('demos', '40'));
const inits = Number(benchOption('inits', '3'));
const noise = Number(benchOption('noise', '0')) / 100;
const bias = Number(benchOption('bias', '0')) / 100;
if (!(noise >= 0) || !(bias >= 0)) throw new Error('--noise and --bias are standard deviations in cm, >= 0');
if (!Number.isInteger(demos) || demos < 1 || !Number.isInteger(inits) || inits < 1 || inits > 50) throw new Error('--demos must be a positive integer, --inits 1..50');

/** The bodies a goal is about (the drawer and the stove's button are where the hand goes for those). */
function named(goal: Goal): string[] {
  switch (goal.kind) {
    case 'place':
      return [goal.object, goal.place];
    case 'stow':
      return [goal.object, `${goal.cabinet}_drawer`];
    case 'drawer':
      return [`${goal.cabinet}_drawer`];
    case 'press':
      return [`${goal.stove}_button`];
    case 'push':
      return [goal.object];
  }
}

const env = await TabletopEnv.create(32);
const state = (obs: Observation, bodies: readonly string[]) => [...obs.state.eef, 2 * obs.state.gripper, ...bodies.flatMap((b) => env.bodyPos(b))];

const rand = seededRandom(7);
/** The state as read with noise: every position entry (not the finger opening at index 3) blurred. */
function blurred(s: number[], offset: readonly number[]): number[] {
  return s.map((v, i) => (i === 3 ? v : v + offset[i]! + noise * gaussian(rand)));
}

console.log(`nearest neighbour on the true state, ${demos} demonstrations per task, evaluation states 0..${inits - 1}; read with noise ${noise * 100} cm per frame, ${bias * 100} cm per episode`);
console.log('suite    | success | episodes');
for (const suite of suites) {
  let wins = 0;
  let runs = 0;
  for (const task of suiteTasks(suite)) {
    const bodies = task.goals.flatMap(named);
    const memory: { s: number[]; a: number[] }[] = [];
    for (let init = TRAINING_STATES.first; init < TRAINING_STATES.first + demos; init++) {
      const expert = new Expert(env, task.scene(init), task.goals);
      await runEpisode(env, task, init, (obs) => {
        const a = expert.act(obs);
        memory.push({ s: state(obs, bodies), a });
        return a;
      });
    }
    for (let init = 0; init < inits; init++) {
      const offset = Array.from({ length: 4 + 3 * bodies.length }, () => bias * gaussian(rand));
      const r = await runEpisode(env, task, init, (obs) => {
        const s = blurred(state(obs, bodies), offset);
        let best = memory[0]!;
        let bestD = Infinity;
        for (const m of memory) {
          let d = 0;
          for (let i = 0; i < s.length; i++) d += (s[i]! - m.s[i]!) ** 2;
          if (d < bestD) [best, bestD] = [m, d];
        }
        return best.a;
      });
      wins += r.success ? 1 : 0;
      runs++;
    }
  }
  console.log(`${suite.padEnd(8)} | ${`${Math.round((100 * wins) / runs)}%`.padStart(7)} | ${wins}/${runs}`);
}
