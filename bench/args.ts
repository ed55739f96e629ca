import { readFileSync } from 'node:fs';

/**
 * `--help` (or `-h`) on a bench script prints the script's opening comment, which says what it
 * measures and its options, and exits: without this, a bench given `--help` ran its whole job.
 */
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const opening = /^\/\*\*([\s\S]*?)\*\//.exec(readFileSync(process.argv[1]!, 'utf8'));
  console.log(opening ? opening[1]!.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim() : 'no usage text');
  process.exit(0);
}

/** `--name value` from the command line of a bench script, or the fallback. */
export function benchOption(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}
