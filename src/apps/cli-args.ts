import { InvalidArgumentError } from 'commander';
import { SAFETENSORS_DTYPES, type SafetensorsDType } from '../model/index.js';
import { SUITES, type SuiteName } from '../sim/index.js';

/** Commander option parsers and the small formatters the CLI's commands share. */

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return n;
}

export function positive(value: string): number {
  const n = nonNegative(value);
  if (n === 0) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = nonNegative(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer >= 0, got "${value}"`);
  return n;
}

export function probability(value: string): number {
  const n = nonNegative(value);
  if (n > 1) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return n;
}

/** "all" or a comma-separated list of suite names. */
export function parseSuites(value: string): SuiteName[] {
  const names = (value === 'all' ? [...SUITES] : value.split(',')) as SuiteName[];
  for (const s of names) if (!SUITES.includes(s)) throw new InvalidArgumentError(`unknown suite "${s}"; use ${SUITES.join(', ')} or all`);
  return names;
}

/** A weight storage dtype (one of SAFETENSORS_DTYPES), any case. */
export function storageDType(value: string): SafetensorsDType {
  const d = SAFETENSORS_DTYPES.find((t) => t === value.toUpperCase());
  if (!d) throw new InvalidArgumentError(`expected one of ${SAFETENSORS_DTYPES.join(', ')}, got "${value}"`);
  return d;
}

/** Seconds as "12 s", "7 min" or "1.5 h" (for ETAs). */
export function duration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  return sec >= 3600 ? `${(sec / 3600).toFixed(1)} h` : sec >= 60 ? `${Math.round(sec / 60)} min` : `${Math.round(sec)} s`;
}
