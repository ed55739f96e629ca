import { expertPolicy, getTask, runEpisode, type Observation, type SuiteName, type TabletopEnv, type Task } from '../src/sim/index.js';

/**
 * The frames the agreement benches ask both sides about: every sixth frame, from the tenth, of the
 * expert's episode on state 0 of tasks 0, 3, 6 and 9 of each suite, one episode at a time.
 */
export async function* expertFrames(env: TabletopEnv, suites: readonly SuiteName[]): AsyncGenerator<{ task: Task; frames: Observation[] }> {
  for (const suite of suites) {
    for (const t of [0, 3, 6, 9]) {
      const task = getTask(suite, t);
      const episode = await runEpisode(env, task, 0, expertPolicy(env, task, 0), { record: true });
      yield { task, frames: episode.observations.filter((_, i) => i >= 10 && (i - 10) % 6 === 0) };
    }
  }
}
