import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** DESIGN.md's layers, lowest first: a file may import its own layer and the ones before it, never after. */
const LAYERS = ['ops', 'model', 'spec', 'sim', 'train', 'apps'];
const srcDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../src');

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function layerOf(file: string): number {
  return LAYERS.indexOf(relative(srcDir, file).split('/')[0]!);
}

test('imports point down the layers only', () => {
  const violations: string[] = [];
  for (const file of sources(srcDir)) {
    const from = layerOf(file);
    if (from < 0) continue; // src/index.ts and cross-layer tests sit above every layer
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const to = layerOf(resolve(file, '..', m[1]!));
      if (to > from) violations.push(`${relative(srcDir, file)} imports ${m[1]} (${LAYERS[from]} -> ${LAYERS[to]})`);
    }
  }
  assert.deepEqual(violations, []);
});
