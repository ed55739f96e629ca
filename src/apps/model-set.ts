import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiteName } from '../sim/index.js';

/** The VLA and draft head that run a suite. */
export interface SuiteModel {
  model: string;
  draft?: string;
}

const isModel = (dir: string) => existsSync(join(dir, 'config.json'));

/**
 * Which model runs `suite` from a `--model` folder. OpenVLA ships one fine-tune per LIBERO suite;
 * a model set here does the same without copying a model that serves several suites:
 * - a model folder (config.json in it) runs every suite, with `draft` as its draft head;
 * - a set (`models/default`) holds a `target/` + `draft/` pair for every suite, and a
 *   `<suite>/target/` + `<suite>/draft/` pair for each suite that has a fine-tune of its own.
 * An explicit `draft` replaces the set's.
 */
export function suiteModel(dir: string, suite: SuiteName, draft?: string): SuiteModel {
  if (isModel(dir)) return { model: dir, draft };
  for (const pair of [join(dir, suite), dir]) {
    if (isModel(join(pair, 'target'))) return { model: join(pair, 'target'), draft: draft ?? join(pair, 'draft') };
  }
  throw new Error(`${dir}: not a model folder (no config.json) nor a model set (no target/ or ${suite}/target/ with a config.json)`);
}

/** The suites grouped by the model pair that runs them, in the order given. */
export function suiteModelGroups(dir: string, suites: readonly SuiteName[], draft?: string): { pair: SuiteModel; suites: SuiteName[] }[] {
  const groups: { pair: SuiteModel; suites: SuiteName[] }[] = [];
  for (const suite of suites) {
    const pair = suiteModel(dir, suite, draft);
    const same = groups.find((g) => g.pair.model === pair.model && g.pair.draft === pair.draft);
    if (same) same.suites.push(suite);
    else groups.push({ pair, suites: [suite] });
  }
  return groups;
}
