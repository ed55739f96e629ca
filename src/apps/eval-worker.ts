import { EpisodeRunner, type WorkerReply, type WorkerRequest } from './eval.js';

/** A child process of `runEvaluation`: loads the model once, then runs the episodes it is sent. */
let runner: EpisodeRunner | undefined;
const reply = (m: WorkerReply) => process.send!(m);

process.on('message', (m: WorkerRequest) => {
  void (async () => {
    try {
      if (m.kind === 'init') {
        runner = await EpisodeRunner.create(m.model, m.draft, m.decoders, m.unnormKey, m.warmup);
        reply({ kind: 'ready' });
      } else if (m.kind === 'job') {
        if (!runner) throw new Error('job before init');
        reply({ kind: 'record', record: await runner.run(m.job) });
      } else {
        process.disconnect();
      }
    } catch (e) {
      reply({ kind: 'error', message: (e as Error).message });
    }
  })();
});
