import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { decodePng } from '../model/index.js';
import { parseDecoderSpec } from '../spec/index.js';
import { PolicyClient, PolicyServerError } from './server/client.js';
import { DEFAULT_BODY_LIMIT, PolicyServer } from './server/server.js';
import { WorkerPolicy } from './server/worker-policy.js';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

/** Checks a decoder spec when the command line is parsed, so a typo fails before a model loads. */
function decoderSpec(value: string): string {
  try {
    parseDecoderSpec(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

interface ServeOptions {
  model: string;
  draft?: string;
  decoder: string;
  host: string;
  port: number;
  queue: number;
  maxBodyMb: number;
  centerCrop?: boolean;
  log?: boolean;
}

interface ActOptions {
  server: string;
  image: string;
  instruction: string;
  unnormKey?: string;
  wristImage?: string;
  details?: boolean;
  json?: boolean;
}

/** `spec-vla serve` (the policy server) and `spec-vla act` (its client). */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve a VLA policy over HTTP with OpenVLA\'s deploy.py API (POST /act, json_numpy in and out), plus POST /v1/act (action, tokens, decoding statistics), GET /health and GET /metrics (Prometheus). ' +
        'Errors are HTTP 4xx/5xx with a JSON body {"error": {status, code, message}}, not deploy.py\'s HTTP 200 "error". Stops gracefully on SIGINT/SIGTERM.',
    )
    .requiredOption('--model <dir>', 'VLA checkpoint folder (Hugging Face layout)')
    .option('--draft <dir>', 'draft head folder (needed by strict and relaxed decoders)')
    .option('--decoder <spec>', 'ar | strict | relaxed:R | relaxed:R1,...,R7, optionally @auto or @depth,topK,total, optionally +prior', decoderSpec, 'ar')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', integer(0, 65535), 8000)
    .option('--queue <n>', 'requests that may wait for the model before new ones get 503', integer(0, 100_000), 16)
    .option('--max-body-mb <n>', 'largest request body in MiB (larger: 413)', integer(1, 1024), DEFAULT_BODY_LIMIT / 2 ** 20)
    .option('--center-crop', 'center crop 0.9 of the image area first (models fine-tuned with random crops)')
    .option('--log', 'log every request (JSON lines on stdout; without it, only policy failures)')
    .addHelpText('after', '\nExamples:\n  spec-vla serve --model ./openvla-7b --port 8000\n  spec-vla serve --model ./openvla-7b --draft ./draft --decoder relaxed:9\n  spec-vla act --server http://127.0.0.1:8000 --image frame.png --instruction "pick up the black bowl"\nAPI reference: docs/server.md')
    .action(async (o: ServeOptions) => {
      // The model runs in a worker thread so this thread keeps answering while a forward pass runs.
      const policy = await WorkerPolicy.start({ model: o.model, draft: o.draft, decoder: o.decoder, centerCrop: o.centerCrop });
      if (policy.unnormKeys.length === 0) console.error(`warning: ${o.model} has no norm_stats: every request will be refused until the config has dataset statistics`);
      const server = new PolicyServer({ policy, queueCapacity: o.queue, bodyLimit: o.maxBodyMb * 2 ** 20, logger: o.log ? true : undefined });
      const url = await server.listen(o.host, o.port);
      console.error(`serving ${o.model} (decoder ${policy.description.decoder}; unnorm_key ${policy.unnormKeys.join(', ') || '(none)'}) on ${url}`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          console.error(`${signal} again: exiting without waiting`);
          process.exit(1);
        }
        stopping = true;
        console.error(`${signal}: finishing ${server.queue.depth + (server.queue.running ? 1 : 0)} request(s) in flight, then exiting`);
        server.close().then(
          () => policy.close().then(() => process.exit(0)),
          (e: unknown) => {
            console.error(`shutdown failed: ${(e as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });

  program
    .command('act')
    .description('Ask a policy server for one action: sends a PNG observation and an instruction to POST /act (as an OpenVLA client does) and prints the 7-D action.')
    .option('--server <url>', 'policy server base URL', 'http://127.0.0.1:8000')
    .requiredOption('--image <png>', 'observation image (8-bit RGB/RGBA PNG), sent as json_numpy uint8 HxWx3')
    .requiredOption('--instruction <text>', 'task instruction, e.g. "pick up the black bowl"')
    .option('--unnorm-key <key>', 'dataset statistics to un-normalize with (needed when the model has several)')
    .option('--wrist-image <png>', 'the wrist camera\'s frame, for a model with a wrist view (sent as wrist_image)')
    .option('--details', 'use POST /v1/act and also print the action tokens and decoding statistics')
    .option('--json', 'print JSON')
    .action(async (o: ActOptions) => {
      const image = decodePng(readFileSync(o.image), o.image);
      const wrist = o.wristImage === undefined ? undefined : decodePng(readFileSync(o.wristImage), o.wristImage);
      const client = new PolicyClient(o.server);
      try {
        if (o.details) {
          const r = await client.predict(image, o.instruction, o.unnormKey, wrist);
          if (o.json) console.log(JSON.stringify(r, null, 2));
          else {
            console.log(`action   [${r.action.map((a) => a.toFixed(4)).join(', ')}]`);
            if (r.tokens) console.log(`tokens   [${r.tokens.join(', ')}]`);
            console.log(`decoder  ${r.decoder}: ${Object.entries(r.stats).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`).join(', ')}`);
            console.log(`time     queue ${r.queue_ms.toFixed(1)} ms, inference ${r.inference_ms.toFixed(1)} ms`);
          }
        } else {
          const action = await client.act(image, o.instruction, o.unnormKey, wrist);
          console.log(o.json ? JSON.stringify({ action }) : `action   [${action.map((a) => a.toFixed(4)).join(', ')}]`);
        }
      } catch (e) {
        if (!(e instanceof PolicyServerError)) throw e;
        console.error(`error: ${e.message}${e.status ? ` (HTTP ${e.status}, ${e.code})` : ''}`);
        process.exitCode = 1;
      }
    });
}
