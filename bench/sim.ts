/**
 * Benchmark world check: scripted-expert success over all 50 initial states of every task of every
 * suite, and the speed of physics + one 256x256 render per control step on one core.
 * Usage: npm run build && node dist/bench/sim.js [--inits N] [--json]
 */
import { expertPolicy, runEpisode, SUITES, suiteTasks, TabletopEnv } from '../src/sim/index.js';

const args = process.argv.slice(2);
const initsArg = args.indexOf('--inits');
const inits = initsArg >= 0 ? Number(args[initsArg + 1]) : 50;

const env = await TabletopEnv.create(256);
const task0 = suiteTasks('spatial')[0]!;
env.reset(task0.scene(0));
const n = 300;
let t = performance.now();
for (let i = 0; i < n; i++) env.step([0.2 * Math.sin(i / 10), 0.2 * Math.cos(i / 10), 0, 0, 0, 0, -1]);
const physicsOnly = n / ((performance.now() - t) / 1000);
t = performance.now();
for (let i = 0; i < n; i++) {
  env.step([0.2 * Math.sin(i / 10), 0.2 * Math.cos(i / 10), 0, 0, 0, 0, -1]);
  env.render();
}
const withRender = n / ((performance.now() - t) / 1000);
console.error(`physics ${physicsOnly.toFixed(0)} steps/s; physics + 256x256 render ${withRender.toFixed(0)} steps/s (one core; target >= 150)`);

// Success does not depend on the frames: measure it without rendering to keep the run short.
const fast = await TabletopEnv.create(16);
const table: Record<string, { success: number; episodes: number; perTask: number[] }> = {};
for (const suite of SUITES) {
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
  console.log('suite    | expert success | episodes');
  for (const [s, r] of Object.entries(table)) console.log(`${s.padEnd(8)} | ${(100 * r.success).toFixed(1).padStart(13)}% | ${r.episodes}`);
  console.log(`physics + 256x256 render: ${withRender.toFixed(0)} env steps/s on one core (physics alone ${physicsOnly.toFixed(0)})`);
}
