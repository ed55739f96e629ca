/**
 * Does the policy act on what it sees? Its first action on every task, from --inits evaluation
 * states (0..) and as many training states (100..), against the expert's on the same frame: per suite
 * the share whose x and y directions (sign of the hand motion, 0 within the deadband) match the
 * expert's, and how many distinct (x, y) directions each gives per task. The first frame always shows
 * the hand at its start pose, so only the object layout and the instruction can decide the first
 * move: a policy that ignores them gives one direction per task whatever the layout. The last column
 * asks the policy on the same first frame with each of the suite's ten instructions and counts the
 * distinct directions it gives (1.0: it ignores the instruction; the expert's differ whenever the
 * instructed objects lie in different directions). A few seconds
 * per hundred frames, no rollouts: a quick proxy to watch while training, before a full evaluation.
 *
 * Usage: npx tsc -p . && node dist/bench/first-action.js [--model DIR] [--inits 10]
 */
import { join } from 'node:path';
import { VlaPolicy } from '../src/model/index.js';
import { expertPolicy, runEpisode, SUITES, suiteTasks, TabletopEnv, TRAINING_STATES, type Observation } from '../src/sim/index.js';
import { createDecoder } from '../src/spec/index.js';
import { vlaEnvOptions, vlaSimPolicy } from '../src/apps/sim-policy.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { benchOption } from './args.js';

const model = benchOption('model', join(DEFAULT_MODEL_DIR, 'target'));
const inits = Number(benchOption('inits', '10'));
if (!Number.isInteger(inits) || inits < 1 || inits > 50) throw new Error('--inits must be 1..50');

const vla = VlaPolicy.load(model);
const { policy } = vlaSimPolicy(vla, createDecoder(vla, 'ar'));
const env = await TabletopEnv.create(vlaEnvOptions(vla));
const direction = (a: readonly number[]) => `${Math.sign(Math.round(a[0]! * 10))},${Math.sign(Math.round(a[1]! * 10))}`;

console.log(`model ${model}; first action of each task, ${inits} evaluation and ${inits} training states`);
console.log('suite    | states     | x,y direction = expert | distinct per task: policy | expert | distinct over instructions');
for (const suite of SUITES) {
  for (const [label, first] of [['evaluation', 0], ['training', TRAINING_STATES.first]] as const) {
    let agree = 0;
    let total = 0;
    let policyDistinct = 0;
    let expertDistinct = 0;
    let instructionDistinct = 0;
    for (const task of suiteTasks(suite)) {
      const mine = new Set<string>();
      const theirs = new Set<string>();
      for (let init = first; init < first + inits; init++) {
        const expert = expertPolicy(env, task, init);
        const both = async (obs: Observation, instruction: string) => {
          const e = await expert(obs, instruction);
          // The policy's move under each of the suite's instructions, its own among them.
          const told = new Map<string, string>();
          for (const other of suiteTasks(suite)) told.set(other.instruction, direction(await policy(obs, other.instruction)));
          const p = told.get(instruction)!;
          mine.add(p);
          instructionDistinct += new Set(told.values()).size;
          theirs.add(direction(e));
          agree += p === direction(e) ? 1 : 0;
          total++;
          return e;
        };
        await runEpisode(env, task, init, both, { stepLimit: 1 });
      }
      policyDistinct += mine.size;
      expertDistinct += theirs.size;
    }
    const n = suiteTasks(suite).length;
    console.log(`${suite.padEnd(8)} | ${label.padEnd(10)} | ${`${((100 * agree) / total).toFixed(0)}%`.padStart(22)} | ${(policyDistinct / n).toFixed(1).padStart(25)} | ${(expertDistinct / n).toFixed(1).padStart(6)} | ${(instructionDistinct / total).toFixed(1).padStart(26)}`);
  }
}
