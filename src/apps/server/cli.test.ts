import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { encodePng, VlaPolicy, writeTinyCheckpoint } from '../../model/index.js';
import { registerServeCommands } from '../serve-command.js';

const commandModule = fileURLToPath(new URL('../serve-command.js', import.meta.url));
/** A script running `spec-vla <args>` with only the serve commands registered (written to a file: workers refuse `node -e`'s flags). */
const RUNNER = `import { Command } from ${JSON.stringify(createRequire(import.meta.url).resolve('commander'))}; import { registerServeCommands } from ${JSON.stringify(commandModule)};
const p = new Command('spec-vla'); registerServeCommands(p); await p.parseAsync(process.argv.slice(2), { from: 'user' });`;

function program(): { program: Command; errors: string[] } {
  const errors: string[] = [];
  const p = new Command('spec-vla').exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} });
  registerServeCommands(p);
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} }));
  return { program: p, errors };
}

test('serve refuses an unknown --decoder and a bad --port before loading any model', async () => {
  for (const [args, pattern] of [
    [['--decoder', 'greedy'], /invalid decoder "greedy".*Expected ar, strict or relaxed:R/],
    [['--decoder', 'relaxed:x'], /invalid decoder "relaxed:x"/],
    [['--port', '70000'], /expected an integer from 0 to 65535/],
  ] as const) {
    const { program: p, errors } = program();
    await assert.rejects(p.parseAsync(['serve', '--model', '/nonexistent', ...args], { from: 'user' }), CommanderError);
    assert.match(errors.join(''), pattern);
  }
});

test('--help of serve and act names the routes, the error convention and an example', () => {
  const { program: p } = program();
  const serve = p.commands.find((c) => c.name() === 'serve')!;
  const act = p.commands.find((c) => c.name() === 'act')!;
  const help = serve.helpInformation();
  for (const s of ['POST /act', 'POST /v1/act', 'GET /metrics', '--decoder', 'relaxed:R', '--queue', 'not deploy.py']) assert.ok(help.includes(s), `serve --help mentions ${s}`);
  for (const s of ['--server', '--image', '--instruction', '--unnorm-key', '--details']) assert.ok(act.helpInformation().includes(s), `act --help mentions ${s}`);
});

test('spec-vla serve + spec-vla act end to end, then SIGTERM exits cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-vla-cli-'));
  try {
    const model = join(dir, 'model');
    writeTinyCheckpoint(model, { seed: 5 });
    const image = { width: 28, height: 28, data: Uint8Array.from({ length: 28 * 28 * 3 }, (_, i) => (i * 131) & 255) };
    writeFileSync(join(dir, 'obs.png'), encodePng(image));
    const runner = join(dir, 'spec-vla.mjs');
    writeFileSync(runner, RUNNER);
    const expected = VlaPolicy.load(model).predictAction(image, 'pick up the bowl').action;

    const server = spawn(process.execPath, [runner, 'serve', '--model', model, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL from serve: ${stderr}`)), 20_000);
        server.stderr.on('data', () => {
          const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const act = spawnSync(process.execPath, [runner, 'act', '--server', url, '--image', join(dir, 'obs.png'), '--instruction', 'pick up the bowl', '--json'], { encoding: 'utf8' });
      assert.equal(act.status, 0, act.stderr);
      assert.deepEqual(JSON.parse(act.stdout).action, expected);
      const bad = spawnSync(process.execPath, [runner, 'act', '--server', url, '--image', join(dir, 'obs.png'), '--instruction', ' ', '--unnorm-key', 'nope'], { encoding: 'utf8' });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /error: .*\(HTTP 400, (empty_instruction|unknown_unnorm_key)\)/);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM: finishing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
