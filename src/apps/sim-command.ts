import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { encodePng } from '../model/index.js';
import { encodeGif, expertPolicy, filmstrip, getTask, INITIAL_STATES, runEpisode, SUITES, suiteTasks, TabletopEnv } from '../sim/index.js';

interface RunOptions {
  suite: string;
  task: string;
  init: string;
  policy: string;
  size: string;
  wrist?: boolean;
  out: string;
}

/** A whole number in [min, max], or a clear error naming the option. */
function intOption(cmd: Command, name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) cmd.error(`error: ${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
}

/** `spec-vla sim ...`: the benchmark world from the command line. */
export function registerSimCommand(program: Command): void {
  const sim = program
    .command('sim')
    .description('The MuJoCo tabletop benchmark world: four LIBERO-shaped suites (spatial, object, goal, long) of ten tasks, 50 initial states each.');
  sim
    .command('list')
    .description("List the suites and their tasks' instructions.")
    .action(() => {
      for (const suite of SUITES) {
        console.log(`${suite} (step limit ${suiteTasks(suite)[0]!.stepLimit}):`);
        suiteTasks(suite).forEach((t) => console.log(`  ${t.index}  ${t.instruction}`));
      }
    });
  sim
    .command('run')
    .description(
      'Run one episode with LIBERO\'s protocol (10 no-op steps, then the policy until the goal holds or the step limit) and write ' +
        'first.png, last.png, strip.png (a filmstrip), episode.gif and result.json into --out.',
    )
    .requiredOption('--suite <name>', `suite: ${SUITES.join(', ')}`)
    .requiredOption('--task <k>', 'task index 0..9 (see "sim list")')
    .option('--init <i>', `initial state 0..${INITIAL_STATES - 1}`, '0')
    .option('--policy <name>', 'policy to run: expert (the scripted demonstrator)', 'expert')
    .option('--size <px>', 'rendered frame size in pixels (LIBERO: 256)', '256')
    .option('--wrist', 'also write the wrist camera (wrist-strip.png)')
    .requiredOption('--out <dir>', 'folder for the frames and result.json (created if missing)')
    .addHelpText('after', '\nExample:\n  spec-vla sim run --suite goal --task 3 --init 0 --policy expert --out runs/goal3')
    .action(async (o: RunOptions, cmd: Command) => {
      if (!SUITES.includes(o.suite as (typeof SUITES)[number])) cmd.error(`error: unknown suite "${o.suite}"; suites: ${SUITES.join(', ')}`);
      if (o.policy !== 'expert') cmd.error(`error: unknown policy "${o.policy}"; available here: expert`);
      const task = getTask(o.suite, intOption(cmd, '--task', o.task, 0, 9));
      const init = intOption(cmd, '--init', o.init, 0, INITIAL_STATES - 1);
      const size = intOption(cmd, '--size', o.size, 16, 1024);
      const env = await TabletopEnv.create({ imageSize: size, wristView: o.wrist ?? false });
      const r = await runEpisode(env, task, init, expertPolicy(env, task, init), { record: true });
      const every = Math.max(1, Math.ceil(r.frames.length / 8));
      mkdirSync(o.out, { recursive: true });
      writeFileSync(join(o.out, 'first.png'), encodePng(r.frames[0]!));
      writeFileSync(join(o.out, 'last.png'), encodePng(r.frames[r.frames.length - 1]!));
      writeFileSync(join(o.out, 'strip.png'), encodePng(filmstrip(r.frames, every)));
      if (o.wrist) writeFileSync(join(o.out, 'wrist-strip.png'), encodePng(filmstrip(r.observations.map((ob) => ob.wrist!), every)));
      writeFileSync(join(o.out, 'episode.gif'), encodeGif(r.frames.filter((_, i) => i % 2 === 0), 100));
      const result = { suite: task.suite, task: task.index, init, instruction: task.instruction, policy: o.policy, success: r.success, steps: r.steps, stepLimit: task.stepLimit };
      writeFileSync(join(o.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
      console.log(`${r.success ? 'success' : 'failure'} after ${r.steps} steps: ${task.instruction}`);
      console.log(`wrote ${join(o.out, '{first,last,strip}.png')}${o.wrist ? ', wrist-strip.png' : ''}, episode.gif, result.json`);
    });
}
