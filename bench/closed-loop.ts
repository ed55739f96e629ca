/**
 * How a policy fails in closed loop. It acts (AR decoding) on evaluation states of every task, and
 * each episode is watched for the hand getting stuck: a step where the policy commands hand motion
 * but the hand has moved less than 5 mm over the last 10 steps. A stuck stretch is "blocked" when the
 * commanded direction holds on every axis (pushing into a contact the frame does not change from) and
 * "dithering" when an axis flips sign (the hand stepping back and forth across a boundary where the
 * policy's answer changes). Per episode: success, the longest stuck stretch and its kind, where the
 * hand ended, the last command (the sign of the motion on x, y, z and the grip) and whether the
 * fingers were closed. Per suite: how many failures end stuck, and in how many distinct 3 cm cells
 * the hand ends over the suite's tasks (a policy that ignores the instruction ends them in one spot).
 *
 * Usage: npx tsc -p . && node dist/bench/closed-loop.js [--model DIR or model set] [--suite all] [--inits 1]
 *   [--first 0] (about 25 s an episode on one core; run suites in two processes to use both)
 */
import { VlaPolicy } from '../src/model/index.js';
import { FINGER_OPEN, runEpisode, suiteTasks, TabletopEnv, type Observation } from '../src/sim/index.js';
import { createDecoder } from '../src/spec/index.js';
import { vlaEnvOptions, vlaSimPolicy } from '../src/apps/sim-policy.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { suiteModel } from '../src/apps/model-set.js';
import { parseSuites } from '../src/apps/cli-args.js';
import { benchOption } from './args.js';

const model = benchOption('model', DEFAULT_MODEL_DIR);
const suites = parseSuites(benchOption('suite', 'all'));
const inits = Number(benchOption('inits', '1'));
const first = Number(benchOption('first', '0'));
if (!Number.isInteger(inits) || inits < 1 || !Number.isInteger(first) || first < 0 || first + inits > 50) throw new Error('--first and --inits must pick states within 0..49');

/** Steps over which the hand must move 5 mm to count as moving. */
const WINDOW = 10;
const STILL = 0.005;

const sign = (v: number) => Math.sign(Math.round(v * 10));
const fmt = (p: readonly number[]) => p.map((v) => v.toFixed(2)).join(', ');
/** A command in short: the sign of the hand motion on x, y, z, and the grip. */
const command = (move: readonly number[] | undefined, grip: number) =>
  `${(move ?? [0, 0, 0]).map((m) => (m > 0 ? '+' : m < 0 ? '-' : '0')).join('')} ${grip > 0 ? 'close' : 'open'}`;

console.log(`model ${model}; AR decoding on states ${first}..${first + inits - 1} of every task`);
console.log('suite    | task | init | success | steps | longest stuck | kind      | hand at the end (m) | last command | fingers');
for (const suite of suites) {
  const vla = VlaPolicy.load(suiteModel(model, suite).model);
  const { policy } = vlaSimPolicy(vla, createDecoder(vla, 'ar'));
  const env = await TabletopEnv.create(vlaEnvOptions(vla));
  let failures = 0;
  const endedStuck = { blocked: 0, dithering: 0 };
  const endCells = new Set<string>();
  for (const task of suiteTasks(suite)) {
    for (let init = first; init < first + inits; init++) {
      const hands: number[][] = [];
      const moves: number[][] = [];
      let lastGrip = 0;
      let fingers = 0;
      let stuck = 0;
      let longest = 0;
      let kind: 'blocked' | 'dithering' = 'blocked';
      let longestKind: 'blocked' | 'dithering' = 'blocked';
      const r = await runEpisode(env, task, init, async (obs: Observation, instruction: string) => {
        const a = await policy(obs, instruction);
        const hand = obs.state.eef;
        const move = [a[0]!, a[1]!, a[2]!].map(sign);
        hands.push([...hand]);
        moves.push(move);
        lastGrip = a[6]!;
        fingers = obs.state.gripper;
        const before = hands[hands.length - 1 - WINDOW];
        if (before && move.some((m) => m !== 0) && Math.hypot(...hand.map((v, k) => v - before[k]!)) < STILL) {
          if (stuck === 0) kind = 'blocked';
          const recent = moves.slice(-WINDOW);
          if ([0, 1, 2].some((k) => recent.some((m) => m[k] === 1) && recent.some((m) => m[k] === -1))) kind = 'dithering';
          stuck++;
          if (stuck >= longest) [longest, longestKind] = [stuck, kind];
        } else {
          stuck = 0;
        }
        return a;
      });
      const end = hands.at(-1) ?? [0, 0, 0];
      endCells.add(end.map((v) => Math.round(v / 0.03)).join(','));
      if (!r.success) {
        failures++;
        if (stuck > 0) endedStuck[kind]++;
      }
      console.log(`${suite.padEnd(8)} | ${String(task.index).padStart(4)} | ${String(init).padStart(4)} | ${String(r.success).padEnd(7)} | ${String(r.steps).padStart(5)} | ${String(longest).padStart(13)} | ${(longest > 0 ? longestKind : '-').padEnd(9)} | ${fmt(end).padEnd(19)} | ${command(moves.at(-1), lastGrip).padEnd(12)} | ${fingers < FINGER_OPEN - 0.005 ? 'closed' : 'open'}`);
    }
  }
  env.dispose();
  console.log(`${suite}: ${failures} failures, ${endedStuck.blocked} ending blocked and ${endedStuck.dithering} dithering; the hand ends in ${endCells.size} distinct 3 cm cells over ${10 * inits} episodes`);
}
