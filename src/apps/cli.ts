#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { bf16ByDefault, decodePng, VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { kernels, loadNative, vectorIsa } from '../ops/index.js';
import { createDecoder, loadDraftHead, randomDraftWeights, saveDraftHead } from '../spec/index.js';
import { formatDecodeBench, runDecodeBench } from './bench-decode.js';
import { formatForwardBench, runForwardBench } from './bench-forward.js';
import { positiveInt } from './cli-args.js';
import { decoderList, registerEvalCommands } from './eval-command.js';
import { formatKernelsBench, runKernelsBench } from './bench-kernels.js';
import { registerServeCommands } from './serve-command.js';
import { registerSimCommand } from './sim-command.js';
import { registerTrainCommands } from './train-commands.js';

const program = new Command();
program
  .name('spec-vla')
  .description('Speculative decoding with relaxed acceptance for token-based Vision-Language-Action policies (OpenVLA and its kind).')
  .version('0.1.0');

program
  .command('info')
  .description('Show the compute engine in use: native addon or TypeScript reference, the CPU\'s vector instructions, OpenBLAS core type and threads, and whether the image and prompt run in bf16 (SPEC_VLA_BF16).')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => {
    const load = loadNative();
    const blas = load.addon?.blasInfo();
    const info = {
      backend: kernels().name,
      native_error: load.error ?? null,
      vector_isa: vectorIsa(),
      blas_core: blas?.core ?? null,
      blas_core_source: load.coreTypeSource,
      threads: blas?.threads ?? null,
      blas_config: blas?.config ?? null,
      bf16_image_prompt: bf16ByDefault(),
    };
    if (opts.json) console.log(JSON.stringify(info, null, 2));
    else for (const [k, v] of Object.entries(info)) console.log(`${k.padEnd(18)} ${v}`);
  });

program
  .command('make-tiny')
  .description('Write a tiny random checkpoint with OpenVLA\'s exact tensor names, config keys and tokenizer layout (and optionally a random draft head): for trying the tools without a real model.')
  .argument('<dir>', 'folder to write (config.json, model.safetensors, tokenizer.json)')
  .option('--seed <n>', 'random seed', positiveInt, 1)
  .option('--single', 'one vision backbone instead of the fused DINOv2 + SigLIP pair')
  .option('--dtype <dtype>', 'storage dtype: F32, F16 or BF16', 'BF16')
  .option('--shards <n>', 'split the weights over n shards with an index', positiveInt, 1)
  .option('--hidden <n>', 'language model width', positiveInt, 64)
  .option('--layers <n>', 'language model layers', positiveInt, 4)
  .option('--draft <dir>', 'also write a random draft head for it here')
  .action((dir: string, o: { seed: number; single?: boolean; dtype: string; shards: number; hidden: number; layers: number; draft?: string }) => {
    if (!['F32', 'F16', 'BF16'].includes(o.dtype)) throw new InvalidArgumentError(`--dtype must be F32, F16 or BF16, got ${o.dtype}`);
    writeTinyCheckpoint(dir, { seed: o.seed, fused: !o.single, dtype: o.dtype as 'F32', shards: o.shards, hidden: o.hidden, layers: o.layers });
    console.log(`wrote ${dir}`);
    if (o.draft) {
      const policy = VlaPolicy.load(dir);
      saveDraftHead(o.draft, policy.llm, randomDraftWeights(policy.llm, o.seed + 1));
      console.log(`wrote ${o.draft} (random draft head: it will rarely be accepted)`);
    }
  });

program
  .command('predict')
  .description('Predict one 7-D action for an image and an instruction with a VLA checkpoint, with plain or speculative decoding.')
  .requiredOption('--model <dir>', 'VLA checkpoint folder (Hugging Face layout)')
  .option('--draft <dir>', 'draft head folder (needed by strict and relaxed decoders)')
  .option('--image <png>', 'observation image (8-bit RGB/RGBA PNG); a random image when absent')
  .requiredOption('--instruction <text>', 'task instruction, e.g. "pick up the black bowl"')
  .option('--decoder <spec>', 'ar | strict | relaxed:R | relaxed:R1,...,R7, optionally @auto or @depth,topK,total, optionally +prior', 'ar')
  .option('--unnorm-key <key>', 'dataset statistics to un-normalize with (a norm_stats key)')
  .option('--rotate', 'rotate the image by 180 degrees first (LIBERO agent view)')
  .option('--center-crop', 'center crop 0.9 of the area, resized back')
  .option('--json', 'print JSON')
  .action((o: { model: string; draft?: string; image?: string; instruction: string; decoder: string; unnormKey?: string; rotate?: boolean; centerCrop?: boolean; json?: boolean }) => {
    const policy = VlaPolicy.load(o.model);
    const draft = o.draft ? loadDraftHead(o.draft, policy.llm) : undefined;
    const decoder = createDecoder(policy, o.decoder, draft);
    const size = policy.config.vision[0]!.imageSize;
    const image = o.image ? decodePng(readFileSync(o.image), o.image) : { width: size, height: size, data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 2654435761) >>> 24) };
    const out = policy.predictAction(image, o.instruction, { unnormKey: o.unnormKey, decoder, rotate: o.rotate, centerCrop: o.centerCrop });
    if (o.json) console.log(JSON.stringify({ action: out.action, tokens: out.tokens, stats: out.stats, timings: out.timings }, null, 2));
    else {
      console.log(`action   [${out.action.map((a) => a.toFixed(4)).join(', ')}]`);
      console.log(`tokens   [${out.tokens.join(', ')}]`);
      console.log(`decoder  ${decoder.name}: ${out.stats.targetForwards} target forwards, accept length ${out.stats.acceptLength.toFixed(2)}`);
      console.log(`time     ${out.timings.totalMs.toFixed(1)} ms (vision ${out.timings.visionMs.toFixed(1)}, prefill ${out.timings.prefillMs.toFixed(1)}, decode ${out.timings.decodeMs.toFixed(1)})`);
    }
  });

const bench = program.command('bench').description('Benchmarks, measured side by side in one run.');
bench
  .command('kernels')
  .description('GEMV GB/s against the measured read bandwidth, library GEMM against a direct cblas_sgemm call for M in {1,4,16,64,256} x 4096 x 4096, and the per-call overhead of the addon.')
  .option('--json', 'print the result as JSON (gemv_gbps, read_gbps, blas_core, gemm_gflops, blas_gflops, call_overhead_us, ...)')
  .option('--quick', 'fewer repetitions and smaller buffers (seconds instead of a minute)')
  .action((o: { json?: boolean; quick?: boolean }) => {
    const result = runKernelsBench({ quick: o.quick });
    console.log(o.json ? JSON.stringify(result, null, 2) : formatKernelsBench(result));
  });
bench
  .command('forward')
  .description('Forward time of a Llama decoder for T in {1,2,4,8,16,32,64} new tokens relative to T=1 (the verify-cost curve), and the one-token step against its bound (weight bytes / read bandwidth).')
  .option('--width <n>', 'hidden size', positiveInt, 1024)
  .option('--layers <n>', 'decoder layers', positiveInt, 4)
  .option('--heads <n>', 'attention heads (default width/64)', positiveInt)
  .option('--kv-heads <n>', 'key/value heads (default: heads)', positiveInt)
  .option('--past <n>', 'committed positions before the measured forwards', positiveInt, 96)
  .option('--json', 'print JSON')
  .action((o: { width: number; layers: number; heads?: number; kvHeads?: number; past: number; json?: boolean }) => {
    const r = runForwardBench({ width: o.width, layers: o.layers, heads: o.heads, kvHeads: o.kvHeads, past: o.past });
    console.log(o.json ? JSON.stringify(r, null, 2) : formatForwardBench(r));
  });
bench
  .command('decode')
  .description('Per-action latency, accept length and speedup of several decoders on the same observations, interleaved.')
  .requiredOption('--model <dir>', 'VLA checkpoint folder')
  .option('--draft <dir>', 'draft head folder (needed for anything but ar)')
  .option('--decoders <list>', 'decoder specs separated by commas, semicolons or spaces; the first is the baseline', decoderList)
  .option('--samples <n>', 'observations per decoder', positiveInt, 20)
  .option('--json', 'print JSON')
  .action((o: { model: string; draft?: string; decoders?: string[]; samples: number; json?: boolean }) => {
    const rows = runDecodeBench({ model: o.model, draft: o.draft, decoders: o.decoders, samples: o.samples });
    console.log(o.json ? JSON.stringify(rows, null, 2) : formatDecodeBench(rows));
  });

registerEvalCommands(program);
registerSimCommand(program);
registerTrainCommands(program);
registerServeCommands(program);

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`spec-vla: ${e.message}`);
  process.exit(1);
});
