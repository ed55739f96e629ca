/**
 * Where does a cloned policy part from its teacher? The expert runs each episode (its actions are
 * executed) while the policy answers every frame; per suite and expert phase (approach, descend,
 * grasp, lift, carry, ...), the share of frames where the policy's x, y and z directions (sign of
 * the hand motion, 0 within the deadband) and its gripper command match the expert's. Every frame
 * is one the demonstrations show, so a low share names what the policy has not learned, apart from
 * what closed-loop drift then adds: first-action.js looks at the first frame only, eval at the
 * outcome only.
 *
 * Usage: npx tsc -p . && node dist/bench/expert-path.js [--model DIR] [--suite all] [--inits 2] [--first 0]
 * (--first 100 takes training states instead of evaluation states; about 2 s per episode here)
 */
import { join } from 'node:path';
import { VlaPolicy } from '../src/model/index.js';
import { Expert, runEpisode, suiteTasks, TabletopEnv, type Observation } from '../src/sim/index.js';
import { createDecoder } from '../src/spec/index.js';
import { vlaEnvOptions, vlaSimPolicy } from '../src/apps/sim-policy.js';
import { parseSuites } from '../src/apps/cli-args.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { benchOption } from './args.js';

const model = benchOption('model', join(DEFAULT_MODEL_DIR, 'target'));
const suites = parseSuites(benchOption('suite', 'all'));
const inits = Number(benchOption('inits', '2'));
const first = Number(benchOption('first', '0'));
if (!Number.isInteger(inits) || inits < 1 || inits > 50) throw new Error('--inits must be 1..50');

const vla = VlaPolicy.load(model);
const { policy } = vlaSimPolicy(vla, createDecoder(vla, 'ar'));
const env = await TabletopEnv.create(vlaEnvOptions(vla));
const sign = (v: number) => Math.sign(Math.round(v * 10));
const pct = (n: number, d: number) => `${Math.round((100 * n) / d)}%`.padStart(5);

console.log(`model ${model}; the expert acts on states ${first}..${first + inits - 1} of every task, the policy answers each frame`);
console.log('suite    | phase        | frames | x agrees | y agrees | z agrees | gripper  | all four');
for (const suite of suites) {
  const phases = new Map<string, { frames: number; agree: number[]; all: number }>();
  for (const task of suiteTasks(suite)) {
    for (let init = first; init < first + inits; init++) {
      const expert = new Expert(env, task.scene(init), task.goals);
      await runEpisode(env, task, init, async (obs: Observation, instruction: string) => {
        const e = expert.act(obs);
        const p = await policy(obs, instruction);
        const s = phases.get(expert.phaseName) ?? { frames: 0, agree: [0, 0, 0, 0], all: 0 };
        const same = [0, 1, 2].map((k) => sign(e[k]!) === sign(p[k]!)).concat(Math.sign(e[6]!) === Math.sign(p[6]!));
        s.frames++;
        same.forEach((ok, k) => (s.agree[k]! += ok ? 1 : 0));
        s.all += same.every(Boolean) ? 1 : 0;
        phases.set(expert.phaseName, s);
        return e;
      });
    }
  }
  for (const [name, s] of phases) {
    console.log(`${suite.padEnd(8)} | ${name.padEnd(12)} | ${String(s.frames).padStart(6)} | ${s.agree.map((a) => pct(a, s.frames).padStart(8)).join(' | ')} | ${pct(s.all, s.frames).padStart(8)}`);
  }
}
