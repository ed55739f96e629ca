import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { splitWords, TextTokenizer, VlaPolicy, wordTokenizerWords, type SafetensorsDType } from '../model/index.js';
import { seededRandom } from '../ops/random.js';
import { duration, nonNegative, nonNegativeInt, parseSuites, positive, positiveInt, probability, storageDType } from './cli-args.js';
import { vlaSimPolicy } from './sim-policy.js';
import { createDecoder, saveDraftHead } from '../spec/index.js';
import { TRAINING_STATES } from '../sim/index.js';
import { averageWeights } from '../train/average-weights.js';
import { convertWeights } from '../train/convert-weights.js';
import { collectDemonstrations, EXCURSION_STEPS, storeActionStats } from '../train/collect.js';
import { EpisodeStore } from '../train/dataset.js';
import { DraftTrainer, makeDraftSample, type DraftSample } from '../train/draft-trainer.js';
import { DEFAULT_SMALL_VLA, VlaTrainer, type SmallVlaConfig } from '../train/vla-trainer.js';

/** The instruction words of the model in `dir` in id order, refusing instructions with a word its vocabulary lacks. */
function initVocabulary(dir: string, instructions: readonly string[]): string[] {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) throw new Error(`--init-from ${dir}: no tokenizer.json there`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const tokenizer = TextTokenizer.fromJson(json, {}, path);
  for (const i of instructions) {
    const missing = splitWords(i.toLowerCase()).find((w) => tokenizer.encode(w).includes(tokenizer.unkId));
    if (missing !== undefined) throw new Error(`--init-from ${dir}: the instruction "${i}" has the word "${missing}", which its vocabulary lacks; fine-tune on data with the same instructions`);
  }
  return wordTokenizerWords(json);
}

/** `spec-vla collect`, `train-vla`, `train-draft`: the training pipeline. */
export function registerTrainCommands(program: Command): void {
  program
    .command('collect')
    .description('Run the scripted experts and store successful demonstrations (frames at the policy input size, instruction, actions) plus OpenVLA-style norm_stats. Resumable: rerun to continue.')
    .option('--suite <names>', 'spatial, object, goal, long, a comma-separated list, or all', 'all')
    .option('--episodes <n>', 'episodes (initial states) per task', positiveInt, 20)
    .option('--size <px>', 'frame size stored', positiveInt, 128)
    .option('--wrist <px>', 'also store the wrist camera\'s frames at this size, for a model with a wrist view (0: none; default: the --policy model\'s wrist size, else 0)', nonNegativeInt)
    .option('--every <k>', 'keep every k-th step', positiveInt, 2)
    .option('--noise <std>', 'Gaussian noise on the executed hand motion (the stored label stays clean: DART), in action units (0.6 = full speed)', nonNegative, 0)
    .option('--late <p>', 'probability that a grasp or release starts one step late (the previous motion repeated once), so the frames show the overshoot a policy reaches, labelled with the expert\'s close/release', probability, 0)
    .option('--start-offset <m>', 'the hand starts up to this far (m, on x and y; a third of it on z) from its usual start, reached in unrecorded moves, so approaches come from many directions', nonNegative, 0)
    .option('--excursions <p>', `probability, on each step of an approach or a carry, that the hand is carried off course for 1..${EXCURSION_STEPS} steps in a random direction while the expert labels every frame, so the demonstrations show the way back from every side (not only the expert's usual direction)`, probability, 0)
    .option('--overshoot <p>', `probability that an approach or a carry runs on 1..${EXCURSION_STEPS} steps past its end (its last motion repeated) while the expert labels the way back`, probability, 0)
    .option('--no-shadows', 'render without the overhead lamp\'s shadows (frames as before shadows existed)')
    .option('--from-init <n>', `first training initial state (${TRAINING_STATES.first}..${TRAINING_STATES.end - 1}); a later round takes states an earlier one did not`, positiveInt, TRAINING_STATES.first)
    .option('--policy <dir>', 'DAgger: this model acts (AR decoding) and the expert labels every frame it reaches; episodes are kept whether or not they succeed')
    .option('--expert-share <p>', 'with --policy: the share of steps on which the expert\'s action is executed instead', probability, 0.5)
    .option('--relabel', 'object suite: run each task on the layouts of other tasks that hold its object, so the same frames come with two instructions (a dataset of its own, trained beside the plain one)')
    .requiredOption('--out <dir>', 'dataset folder')
    .action(async (o: { suite: string; episodes: number; size: number; wrist?: number; every: number; noise: number; late: number; startOffset: number; excursions: number; overshoot: number; shadows: boolean; fromInit: number; policy?: string; expertShare: number; relabel?: boolean; out: string }) => {
      if (o.relabel && parseSuites(o.suite).some((s) => s !== 'object')) throw new Error('--relabel applies to the object suite only: pass --suite object');
      const vla = o.policy ? VlaPolicy.load(o.policy) : null;
      const wristSize = o.wrist ?? vla?.wristSize ?? 0;
      if (vla && vla.wristSize !== 0 && wristSize === 0) throw new Error(`${o.policy} reads the wrist camera: collect with --wrist`);
      // A DAgger round keeps failed episodes, a plain one skips them; either way the count is the news.
      let failed = 0;
      const store = await collectDemonstrations({
        suites: parseSuites(o.suite),
        episodesPerTask: o.episodes,
        out: o.out,
        size: o.size,
        wristSize,
        every: o.every,
        noise: o.noise,
        late: o.late,
        startOffset: o.startOffset,
        excursions: o.excursions,
        overshoot: o.overshoot,
        shadows: o.shadows,
        firstInit: o.fromInit,
        learner: vla ? { policy: () => vlaSimPolicy(vla, createDecoder(vla, 'ar')).policy, expertShare: o.expertShare } : undefined,
        relabel: o.relabel,
        onEpisode: (done, total, ok) => {
          if (!ok) failed++;
          process.stderr.write(`\r${done}/${total} episodes, ${failed} failed${vla || failed === 0 ? '' : ' (skipped)'}   `);
        },
      });
      const stats = storeActionStats(store);
      writeFileSync(join(o.out, 'norm_stats.json'), JSON.stringify({ spec_vla_tabletop: { action: stats } }, null, 2));
      const frames = store.index.episodes.reduce((n, e) => n + e.steps, 0);
      const succeeded = store.index.episodes.filter((e) => e.success).length;
      console.error(`\n${store.index.episodes.length} episodes (${succeeded} succeeded), ${frames} frames in ${o.out} (norm_stats.json written)`);
    });

  program
    .command('train-vla')
    .description('Train the small Prismatic-shaped VLA (ViT -> projector -> Llama, OpenVLA prompt and action tokens) on a collected dataset; writes an OpenVLA-layout checkpoint. Checkpoints every few hundred steps; rerun the same command to resume.')
    .requiredOption('--data <dirs>', 'dataset folder from "spec-vla collect", or several separated by commas (e.g. demonstrations,dagger-round-1): frames drawn uniformly from all, action statistics from the first')
    .requiredOption('--out <dir>', 'output checkpoint folder')
    .option('--steps <n>', 'optimizer steps', positiveInt, 6000)
    .option('--batch <n>', 'samples per step', positiveInt, 16)
    .option('--lr <x>', 'peak learning rate', Number, 1e-3)
    .option('--seed <n>', 'seed', positiveInt, 1)
    .option('--patch <px>', 'ViT patch size (the image is 128 px)', positiveInt, DEFAULT_SMALL_VLA.patchSize)
    .option('--vit-width <n>', 'ViT width', positiveInt, DEFAULT_SMALL_VLA.vitWidth)
    .option('--wrist <px>', 'also read the wrist camera\'s frames at this size (datasets collected with --wrist of the same size; 0: no wrist view)', nonNegativeInt, DEFAULT_SMALL_VLA.wristImageSize ?? 0)
    .option('--merge <k>', 'concatenate each k x k block of patch features into one decoder token', positiveInt, DEFAULT_SMALL_VLA.merge ?? 1)
    .option('--hidden <n>', 'decoder width', positiveInt, DEFAULT_SMALL_VLA.hidden)
    .option('--layers <n>', 'decoder layers', positiveInt, DEFAULT_SMALL_VLA.layers)
    .option('--heads <n>', 'decoder attention heads', positiveInt, DEFAULT_SMALL_VLA.heads)
    .option('--kv-heads <n>', 'decoder key/value heads', positiveInt, DEFAULT_SMALL_VLA.kvHeads)
    .option('--intermediate <n>', 'decoder MLP width', positiveInt, DEFAULT_SMALL_VLA.intermediate)
    .option('--image-head <w>', 'weight of the training-only auxiliary loss predicting the action bins straight from the image tokens (0: none)', nonNegative, DEFAULT_SMALL_VLA.imageHead ?? 0)
    .option('--waypoint-head <w>', 'weight of the training-only auxiliary loss regressing, from the decoder, where the hand goes before the gripper next acts (0: none)', nonNegative, DEFAULT_SMALL_VLA.waypointHead ?? 0)
    .option('--aim-head <w>', 'weight of the training-only auxiliary loss in which the decoder picks, by matching a query against the image tokens, the agent-view token holding the object the expert heads for (datasets collected with points; 0: none)', nonNegative, DEFAULT_SMALL_VLA.aimHead ?? 0)
    .option('--recon-head <w>', 'weight of the training-only auxiliary loss redrawing, from each agent-view image token, its region of the frame as a grid of mean colors, so the tokens keep what the objects look like (0: none)', nonNegative, DEFAULT_SMALL_VLA.reconHead ?? 0)
    .option('--attend-head <w>', 'weight of the training-only loss that teaches the decoder\'s own attention (middle layer, head 0) from where it predicts the first action token to fall on the agent-view token holding the object the expert heads for, on frames where the hand is elsewhere (datasets collected with points; 0: none)', nonNegative, DEFAULT_SMALL_VLA.attendHead ?? 0)
    .option('--instruction-head <w>', 'weight of the training-only loss in which the decoder\'s state entering its middle layer, where it predicts the first action token, names the words that tell its instruction apart, those in at most half of the datasets\' instructions (0: none)', nonNegative, DEFAULT_SMALL_VLA.instructionHead ?? 0)
    .option('--recon-gain <k>', 'how much more the reconstruction head\'s cells unlike the table (objects, basket, hand) count: scaled by k, so their errors weigh up to k squared (1: every cell alike)', positive, DEFAULT_SMALL_VLA.reconGain ?? 1)
    .option('--point-head <w>', 'weight of the training-only auxiliary loss pointing, from the ViT and the decoder, at the patches holding the hand and the object the expert heads for (datasets collected with points; 0: none)', nonNegative, DEFAULT_SMALL_VLA.pointHead ?? 0)
    .option('--state-head <w>', 'weight of the training-only auxiliary loss regressing the simulator state behind each frame (hand position, finger opening, the expert\'s aim) from the image tokens and the decoder (datasets collected with states; 0: none)', nonNegative, DEFAULT_SMALL_VLA.stateHead ?? 0)
    .option('--approach-weight <k>', 'draw the frames of each demonstration\'s approach (before the hand first stands over its target) k times as often as the others', nonNegative, 1)
    .option('--grip-weight <k>', 'draw the frames where the gripper command changes (a grasp, a release) and the frames just before and after each k times as often as the others', nonNegative, 1)
    .option('--stop-after <n>', 'stop after this many steps in this run (resume later)', positiveInt)
    .option('--until <step>', 'stop at this step of --steps, on the schedule of --steps (a first stage before training on other data; rerunning resumes up to it)', positiveInt)
    .option('--export-to <dir>', 'do not train: write the last checkpoint of --out as a model folder here (to evaluate a run in progress)')
    .option('--init-from <dir>', 'start from this exported model (same shape and instructions) instead of random weights; the training-only heads continue from its checkpoint/ when it is a train-vla run folder; ignored when --out already holds a checkpoint to resume')
    .action((o: { data: string; out: string; steps: number; batch: number; lr: number; seed: number; patch: number; vitWidth: number; wrist: number; merge: number; hidden: number; layers: number; heads: number; kvHeads: number; intermediate: number; imageHead: number; waypointHead: number; pointHead: number; stateHead: number; aimHead: number; reconHead: number; reconGain: number; attendHead: number; instructionHead: number; approachWeight: number; gripWeight: number; stopAfter?: number; until?: number; exportTo?: string; initFrom?: string }) => {
      const dirs = o.data.split(',');
      const stores = dirs.map((dir) => EpisodeStore.open(dir, { width: DEFAULT_SMALL_VLA.imageSize, height: DEFAULT_SMALL_VLA.imageSize }));
      const statsPath = join(dirs[0]!, 'norm_stats.json');
      if (!existsSync(statsPath)) throw new Error(`${statsPath} is missing: run "spec-vla collect" to completion first`);
      const [[unnormKey, { action: stats }]] = Object.entries(JSON.parse(readFileSync(statsPath, 'utf8')) as Record<string, { action: ReturnType<typeof storeActionStats> }>) as [[string, { action: ReturnType<typeof storeActionStats> }]];
      const cfg: SmallVlaConfig = { ...DEFAULT_SMALL_VLA, patchSize: o.patch, vitWidth: o.vitWidth, wristImageSize: o.wrist, merge: o.merge, hidden: o.hidden, layers: o.layers, heads: o.heads, kvHeads: o.kvHeads, intermediate: o.intermediate, imageHead: o.imageHead, waypointHead: o.waypointHead, pointHead: o.pointHead, stateHead: o.stateHead, aimHead: o.aimHead, reconHead: o.reconHead, reconGain: o.reconGain, attendHead: o.attendHead, instructionHead: o.instructionHead };
      if (cfg.imageSize % cfg.patchSize !== 0) throw new Error(`--patch must divide the image size ${cfg.imageSize}`);
      if (cfg.wristImageSize && cfg.wristImageSize % (cfg.patchSize * (cfg.merge ?? 1)) !== 0) throw new Error(`--wrist must be a multiple of --patch x --merge (${cfg.patchSize * (cfg.merge ?? 1)})`);
      if (cfg.hidden % cfg.heads !== 0 || cfg.heads % cfg.kvHeads !== 0) throw new Error('--hidden must be a multiple of --heads, and --heads of --kv-heads');
      if (cfg.vitWidth % cfg.vitHeads !== 0) throw new Error(`--vit-width must be a multiple of ${cfg.vitHeads} (ViT heads)`);
      const instructions = [...new Set(stores.flatMap((store) => store.index.episodes.map((e) => e.instruction)))];
      // A fine-tune keeps its model's vocabulary (the same ids), whatever order the datasets name the words in.
      const vocabulary = o.initFrom ? initVocabulary(o.initFrom, instructions) : instructions;
      const trainer = new VlaTrainer(cfg, vocabulary, o.seed);
      if (o.exportTo) {
        const ckpt = join(o.out, 'checkpoint');
        if (!existsSync(join(ckpt, 'state.json'))) throw new Error(`${ckpt}: no checkpoint to export`);
        const { step } = trainer.loadCheckpointWeights(ckpt);
        trainer.export(o.exportTo, stats, unnormKey);
        console.error(`wrote ${o.exportTo} (step ${step} of ${ckpt})`);
        return;
      }
      console.error(`${trainer.params.count().toLocaleString()} parameters; ${stores.reduce((n, store) => n + store.index.episodes.length, 0)} episodes`);
      trainer.train(stores, stats, o.out, {
        steps: o.steps,
        batch: o.batch,
        lr: o.lr,
        seed: o.seed,
        checkpointEvery: 200,
        unnormKey,
        stopAfter: o.stopAfter,
        until: o.until,
        initFrom: o.initFrom,
        onInitFrom: (heads) => console.error(`started from ${o.initFrom}; ${heads.length ? `training-only heads continued from its checkpoint: ${heads.join(', ')}` : 'training-only heads start fresh (no checkpoint of theirs there)'}`),
        approachWeight: o.approachWeight,
        gripWeight: o.gripWeight,
        progressEvery: 10,
        onProgress: (p) => process.stderr.write(`step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}${p.imageHeadLoss === null ? '' : ` (image head ${p.imageHeadLoss.toFixed(3)})`}${p.waypointHeadLoss === null ? '' : ` (waypoint head ${p.waypointHeadLoss.toFixed(3)})`}${p.pointHeadLoss === null ? '' : ` (point head ${p.pointHeadLoss.toFixed(3)})`}${p.stateHeadLoss === null ? '' : ` (state head ${p.stateHeadLoss.toFixed(3)})`}${p.aimHeadLoss === null ? '' : ` (aim head ${p.aimHeadLoss.toFixed(3)})`}${p.reconHeadLoss === null ? '' : ` (recon head ${p.reconHeadLoss.toFixed(3)})`}${p.attendHeadLoss === null ? '' : ` (attend head ${p.attendHeadLoss.toFixed(3)})`}${p.instructionHeadLoss === null ? '' : ` (instruction head ${p.instructionHeadLoss.toFixed(3)})`}  action-token acc ${(100 * p.tokenAccuracy).toFixed(1)}% (per dim ${p.dimAccuracy.map((a) => (100 * a).toFixed(0)).join(' ')})  ${p.samplesPerSec.toFixed(1)} samples/s  ETA ${duration(p.etaSec)}\n`),
      });
      console.error(existsSync(join(o.out, 'config.json')) ? `wrote ${o.out}` : `stopped; rerun to continue from ${o.out}/checkpoint`);
    });

  program
    .command('average-weights')
    .description('Average the weights of exported models of one architecture (a "model soup" of fine-tunes from one run) into a new model folder; config and tokenizer are copied from the first.')
    .requiredOption('--models <dirs>', 'comma-separated exported model folders (same config.json)', (v: string) => v.split(',').filter(Boolean))
    .requiredOption('--out <dir>', 'model folder to write')
    .action((o: { models: string[]; out: string }) => {
      const r = averageWeights(o.models, o.out);
      console.error(`wrote ${o.out}: the mean of ${o.models.length} models, ${r.tensors} tensors (${r.dtype})`);
    });

  program
    .command('convert')
    .description('Copy a model folder (target, draft, or one holding both) with its weights stored in another dtype; I8 (channel-wise int8, decoded to float32 at load) halves a BF16 model on disk.')
    .requiredOption('--model <dir>', 'model folder to read')
    .requiredOption('--out <dir>', 'new model folder to write')
    .option('--dtype <dtype>', 'I8 (per-row scales; vectors stay F32), BF16, F16 or F32', storageDType, 'I8' as const)
    .action((o: { model: string; out: string; dtype: SafetensorsDType }) => {
      const r = convertWeights(o.model, o.out, o.dtype);
      const mb = (n: number) => (n / 1e6).toFixed(1);
      console.error(`wrote ${o.out}: ${r.files} weight file(s) as ${o.dtype}, ${mb(r.bytesBefore)} MB -> ${mb(r.bytesAfter)} MB`);
    });

  program
    .command('train-draft')
    .description('Generate draft training data with the frozen target (its own greedy action tokens from the prompt only, its last hidden states) on dataset frames, train the EAGLE draft head, report draft top-1 accuracy per action position, and write the draft folder.')
    .requiredOption('--model <dir>', 'trained VLA checkpoint')
    .requiredOption('--data <dir>', 'dataset folder')
    .requiredOption('--out <dir>', 'draft head folder to write')
    .option('--samples <n>', 'frames to generate data from', positiveInt, 3000)
    .option('--steps <n>', 'optimizer steps', positiveInt, 3000)
    .option('--lr <x>', 'peak learning rate', Number, 5e-4)
    .option('--seed <n>', 'seed', positiveInt, 1)
    .action((o: { model: string; data: string; out: string; samples: number; steps: number; lr: number; seed: number }) => {
      const policy = VlaPolicy.load(o.model);
      const size = policy.config.vision[0]!.imageSize;
      const store = EpisodeStore.open(o.data, { width: size, height: size });
      const rand = seededRandom(o.seed);
      const all = store.index.episodes.flatMap((e) => Array.from({ length: e.steps }, (_, i) => ({ e, i })));
      const pick = Array.from({ length: Math.min(o.samples, all.length) }, () => all[Math.floor(rand() * all.length)]!);
      const samples: DraftSample[] = [];
      let lastEpisode = '';
      let episode = store.read(store.index.episodes[0]!);
      pick.sort((a, b) => a.e.file.localeCompare(b.e.file)).forEach(({ e, i }, k) => {
        if (e.file !== lastEpisode) {
          episode = store.read(e);
          lastEpisode = e.file;
        }
        const w = policy.wristSize;
        if (w && episode.wristSize !== w) throw new Error(`${o.data}: ${e.file} has no ${w}-pixel wrist frames for this model's wrist view (collect with --wrist ${w})`);
        const wrist = w ? { width: w, height: w, data: episode.wrist![i]! } : undefined;
        samples.push(makeDraftSample(policy.llm, policy.prefix({ width: size, height: size, data: episode.frames[i]! }, e.instruction, wrist), 7));
        if ((k + 1) % 100 === 0) process.stderr.write(`\rdraft data ${k + 1}/${pick.length}`);
      });
      process.stderr.write('\n');
      const held = samples.splice(0, Math.max(1, Math.floor(samples.length / 10)));
      const tok = policy.actionTokenizer;
      const trainer = new DraftTrainer(policy.llm, {
        steps: o.steps,
        lr: o.lr,
        candidates: { first: tok.firstToken, count: 256 },
        seed: o.seed,
        batch: 8,
        onProgress: (s, l) => process.stderr.write(`step ${s}/${o.steps} loss ${l.toFixed(4)}\n`),
        every: 100,
      });
      trainer.train(samples);
      const accuracy = trainer.topOneAccuracy(held);
      console.error(`draft top-1 accuracy per action position (2..7) on ${held.length} held-out frames: ${accuracy.map((a) => (100 * a).toFixed(1) + '%').join(' ')}`);
      saveDraftHead(o.out, policy.llm, trainer.weights(), 'BF16', { top1_accuracy: accuracy });
      console.error(`wrote ${o.out}`);
    });
}
