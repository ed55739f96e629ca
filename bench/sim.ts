/**
 * Benchmark world check: scripted-expert success over all 50 initial states of every task of every
 * suite, and the speed of physics + one 256x256 render per control step on one core.
 * Usage: npx tsc -p . && node dist/bench/sim.js [--suite S] [--inits N (0: speed only)] [--json]
 * (suites are independent: run one per process to use several cores).
 */
import './args.js';
import { expertPolicy, getTask, runEpisode, SUITES, suiteTasks, TabletopEnv, type SuiteName } from '../src/sim/index.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const inits = Number(arg('--inits') ?? 50);
const suiteArg = arg('--suite');
if (suiteArg !== undefined && !SUITES.includes(suiteArg as SuiteName)) throw new Error(`unknown suite "${suiteArg}"; suites: ${SUITES.join(', ')}`);
// --inits 0 measures speed only.
const suites = inits === 0 ? [] : suiteArg ? [suiteArg as SuiteName] : SUITES;

/**
 * Speed on the heaviest scene (the kitchen: cabinet, drawer, stove, four objects) along expert
 * episodes that open the drawer and stow a block, so contacts are part of the cost. The recorded
 * actions are replayed twice: each step followed by a 256x256 agent-view observation (what a policy
 * gets), and physics alone. Resets are not timed.
 */
const speedEnv = await TabletopEnv.create(256);
const speedTask = getTask('goal', 3);
const replays: { init: number; actions: number[][] }[] = [];
for (let init = 0; init < 4; init++) replays.push({ init, actions: (await runEpisode(speedEnv, speedTask, init, expertPolicy(speedEnv, speedTask, init), { record: true })).actions });
function replaySpeed(observe: boolean): number {
  let steps = 0;
  let ms = 0;
  for (const { init, actions } of replays) {
    speedEnv.reset(speedTask.scene(init));
    const t = performance.now();
    for (const a of actions) {
      speedEnv.step(a);
      if (observe) speedEnv.observe();
    }
    ms += performance.now() - t;
    steps += actions.length;
  }
  return steps / (ms / 1000);
}
replaySpeed(true); // warm-up (JIT)
const withRender = replaySpeed(true);
const physicsOnly = replaySpeed(false);
console.error(`physics ${physicsOnly.toFixed(0)} steps/s; physics + 256x256 render ${withRender.toFixed(0)} env steps/s (one core; target >= 150)`);

// Success does not depend on the frames: measure it with tiny frames to keep the run short.
const fast = await TabletopEnv.create(16);
const table: Record<string, { success: number; episodes: number; perTask: number[] }> = {};
for (const suite of suites) {
  const perTask: number[] = [];
  for (const task of suiteTasks(suite)) {
    let ok = 0;
    for (let i = 0; i < inits; i++) if ((await runEpisode(fast, task, i, expertPolicy(fast, task, i))).success) ok++;
    perTask.push(ok / inits);
  }
  const success = perTask.reduce((a, b) => a + b, 0) / perTask.length;
  table[suite] = { success, episodes: inits * perTask.length, perTask };
  console.error(`${suite.padEnd(8)} ${(100 * success).toFixed(1)}%  per task: ${perTask.map((s) => (100 * s).toFixed(0)).join(' ')}`);
}
const result = { physics_steps_per_s: physicsOnly, steps_with_render_per_s: withRender, inits, suites: table };
if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log('suite    | expert success | episodes | worst task');
  for (const [s, r] of Object.entries(table)) console.log(`${s.padEnd(8)} | ${(100 * r.success).toFixed(1).padStart(13)}% | ${String(r.episodes).padStart(8)} | ${(100 * Math.min(...r.perTask)).toFixed(0)}%`);
  console.log(`physics + 256x256 render: ${withRender.toFixed(0)} env steps/s on one core (physics alone ${physicsOnly.toFixed(0)})`);
}
