import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { encodeGif, encodePng, expertPolicy, filmstrip, getTask, runEpisode, SUITES, suiteTasks, TabletopEnv } from '../sim/index.js';

/** `spec-vla sim ...`: the benchmark world from the command line. */
export function registerSimCommand(program: Command): void {
  const sim = program.command('sim').description('The MuJoCo tabletop benchmark world: four LIBERO-shaped suites of ten tasks.');
  sim
    .command('list')
    .description('List the suites and their tasks\' instructions.')
    .action(() => {
      for (const suite of SUITES) {
        console.log(`${suite}:`);
        suiteTasks(suite).forEach((t) => console.log(`  ${t.index}  ${t.instruction}  (step limit ${t.stepLimit})`));
      }
    });
  sim
    .command('run')
    .description('Run one episode (LIBERO protocol: 10 no-op steps, then the policy until success or the step limit) and write its frames (PNG filmstrip, GIF) and result.json.')
    .requiredOption('--suite <name>', `one of ${SUITES.join(', ')}`)
    .requiredOption('--task <k>', 'task index 0..9', (v) => Number(v))
    .option('--init <i>', 'initial state 0..49', (v) => Number(v), 0)
    .option('--policy <name>', 'expert (the scripted demonstrator)', 'expert')
    .option('--size <px>', 'rendered frame size', (v) => Number(v), 256)
    .requiredOption('--out <dir>', 'folder for frames and result.json')
    .action(async (o: { suite: string; task: number; init: number; policy: string; size: number; out: string }) => {
      if (o.policy !== 'expert') throw new Error(`unknown policy "${o.policy}" (available: expert; VLA policies run through "spec-vla eval")`);
      const task = getTask(o.suite, o.task);
      const env = await TabletopEnv.create(o.size);
      const r = await runEpisode(env, task, o.init, expertPolicy(env, task, o.init), { record: true });
      mkdirSync(o.out, { recursive: true });
      writeFileSync(join(o.out, 'first.png'), encodePng(r.frames[0]!));
      writeFileSync(join(o.out, 'last.png'), encodePng(r.frames[r.frames.length - 1]!));
      writeFileSync(join(o.out, 'strip.png'), encodePng(filmstrip(r.frames, Math.max(1, Math.ceil(r.frames.length / 8)))));
      writeFileSync(join(o.out, 'episode.gif'), encodeGif(r.frames.filter((_, i) => i % 2 === 0), 100));
      const result = { suite: task.suite, task: task.index, init: o.init, instruction: task.instruction, success: r.success, steps: r.steps };
      writeFileSync(join(o.out, 'result.json'), JSON.stringify(result, null, 2));
      console.log(`${r.success ? 'success' : 'failure'} after ${r.steps} steps: ${task.instruction}\nwrote ${o.out}/{first,last,strip}.png, episode.gif, result.json`);
    });
}
