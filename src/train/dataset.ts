import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/**
 * A demonstration dataset on disk: one binary file per episode plus `index.json`. An episode is
 * written in full and renamed into place before the index names it, so an interrupted collection
 * never leaves half an episode, and resuming continues after the last complete one.
 *
 * Episode file: "SVEP" magic, u32 header length, JSON header (with `points`, `states` and `wristSize` when recorded), then
 * `steps` frames (uint8, height × width × 3 each), with a wrist camera `steps` wrist frames (uint8,
 * wristSize × wristSize × 3 each), and `steps` actions (float32 × 7 each, little-endian).
 */
export interface Episode {
  suite: string;
  task: number;
  /** Index of the initial state the episode started from. */
  init: number;
  instruction: string;
  success: boolean;
  width: number;
  height: number;
  /** frames[i] is the observation the action actions[i] answered. */
  frames: Uint8Array[];
  actions: Float32Array[];
  /**
   * Per frame, where things are in it, in its pixels: [hand x, hand y, aim x, aim y], the aim being
   * the expert's current target seen on the table below it; -1 where unknown or out of view. Absent in datasets collected before.
   */
  points?: number[][];
  /**
   * Per frame, the simulator's state behind it, in metres: [hand x, y, z, finger opening, aim x, y, z],
   * the aim being the expert's current target (the hand itself once the expert is done). Absent in
   * datasets collected before.
   */
  states?: number[][];
  /** The wrist camera's frames (square, `wristSize` pixels), one per frame; absent without a wrist camera. */
  wrist?: Uint8Array[];
  wristSize?: number;
}

/** Values per frame in Episode.points. */
export const POINT_VALUES = 4;
/** Values per frame in Episode.states. */
export const STATE_VALUES = 7;

export interface DatasetIndexEntry {
  file: string;
  suite: string;
  task: number;
  init: number;
  instruction: string;
  steps: number;
  success: boolean;
  /** A DAgger episode (collect --policy): labels are the expert's, the motion mostly the policy's. */
  dagger?: boolean;
}

export interface DatasetIndex {
  version: 1;
  width: number;
  height: number;
  /** The wrist camera's frame size when every episode has one (collect --wrist). */
  wristSize?: number;
  episodes: DatasetIndexEntry[];
}

const MAGIC = 'SVEP';
export const ACTION_DIM = 7;

export function encodeEpisode(ep: Episode): Uint8Array {
  const frameBytes = ep.width * ep.height * 3;
  if (ep.frames.length !== ep.actions.length) throw new Error(`episode has ${ep.frames.length} frames but ${ep.actions.length} actions`);
  ep.frames.forEach((f, i) => {
    if (f.length !== frameBytes) throw new Error(`frame ${i} has ${f.length} bytes, expected ${ep.width}x${ep.height}x3`);
  });
  ep.actions.forEach((a, i) => {
    if (a.length !== ACTION_DIM) throw new Error(`action ${i} has ${a.length} values, expected ${ACTION_DIM}`);
  });
  if (ep.points && (ep.points.length !== ep.frames.length || ep.points.some((p) => p.length !== POINT_VALUES))) throw new Error(`episode points must be ${POINT_VALUES} values for each of its ${ep.frames.length} frames`);
  const wristBytes = (ep.wristSize ?? 0) ** 2 * 3;
  if (!ep.wrist !== !ep.wristSize) throw new Error('episode wrist frames and wristSize go together');
  if (ep.wrist && (ep.wrist.length !== ep.frames.length || ep.wrist.some((f) => f.length !== wristBytes))) throw new Error(`episode needs a ${ep.wristSize}x${ep.wristSize}x3 wrist frame for each of its ${ep.frames.length} frames`);
  if (ep.states && (ep.states.length !== ep.frames.length || ep.states.some((v) => v.length !== STATE_VALUES || v.some((x) => !Number.isFinite(x))))) throw new Error(`episode states must be ${STATE_VALUES} finite values for each of its ${ep.frames.length} frames`);
  const header = Buffer.from(
    JSON.stringify({ suite: ep.suite, task: ep.task, init: ep.init, instruction: ep.instruction, success: ep.success, width: ep.width, height: ep.height, steps: ep.frames.length, ...(ep.points ? { points: ep.points } : {}), ...(ep.states ? { states: ep.states } : {}), ...(ep.wrist ? { wristSize: ep.wristSize } : {}) }),
  );
  const steps = ep.frames.length;
  const out = new Uint8Array(8 + header.length + steps * (frameBytes + wristBytes) + steps * ACTION_DIM * 4);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC), 0);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  let off = 8 + header.length;
  for (const f of [...ep.frames, ...(ep.wrist ?? [])]) {
    out.set(f, off);
    off += f.length;
  }
  for (const a of ep.actions) for (let j = 0; j < ACTION_DIM; j++, off += 4) view.setFloat32(off, a[j]!, true);
  return out;
}

type EpisodeHeader = Omit<Episode, 'frames' | 'actions' | 'wrist'> & { steps: number };

/**
 * The header of an episode file from its first bytes (at least up to the end of the header) and its
 * total size: where the frames and actions lie. Refuses files whose size does not match.
 */
function parseHeader(bytes: Uint8Array, fileSize: number, name: string): { h: EpisodeHeader; framesAt: number; frameBytes: number; wristAt: number; wristBytes: number; actionsAt: number } {
  if (bytes.length < 8 || Buffer.from(bytes.subarray(0, 4)).toString() !== MAGIC) throw new Error(`${name}: not a spec-vla episode file`);
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + hlen > fileSize || 8 + hlen > bytes.length) throw new Error(`${name}: truncated header`);
  const h = JSON.parse(Buffer.from(bytes.subarray(8, 8 + hlen)).toString()) as EpisodeHeader;
  const frameBytes = h.width * h.height * 3;
  const wristBytes = (h.wristSize ?? 0) ** 2 * 3;
  const need = 8 + hlen + h.steps * (frameBytes + wristBytes + ACTION_DIM * 4);
  if (fileSize !== need) throw new Error(`${name}: ${fileSize} bytes, expected ${need} (truncated or corrupt)`);
  const wristAt = 8 + hlen + h.steps * frameBytes;
  return { h, framesAt: 8 + hlen, frameBytes, wristAt, wristBytes, actionsAt: wristAt + h.steps * wristBytes };
}

function readActions(bytes: Uint8Array, steps: number): Float32Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: steps }, (_, i) => Float32Array.from({ length: ACTION_DIM }, (_, j) => view.getFloat32((i * ACTION_DIM + j) * 4, true)));
}

export function decodeEpisode(data: Uint8Array, name = 'episode'): Episode {
  // A plain Uint8Array view, so that frames come out as Uint8Array copies even from a Buffer.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const { h, framesAt, frameBytes, wristAt, wristBytes, actionsAt } = parseHeader(bytes, bytes.length, name);
  const frames = Array.from({ length: h.steps }, (_, i) => bytes.slice(framesAt + i * frameBytes, framesAt + (i + 1) * frameBytes));
  const actions = readActions(bytes.subarray(actionsAt), h.steps);
  const wrist = h.wristSize ? { wristSize: h.wristSize, wrist: Array.from({ length: h.steps }, (_, i) => bytes.slice(wristAt + i * wristBytes, wristAt + (i + 1) * wristBytes)) } : {};
  return { suite: h.suite, task: h.task, init: h.init, instruction: h.instruction, success: h.success, width: h.width, height: h.height, frames, actions, ...(h.points ? { points: h.points } : {}), ...(h.states ? { states: h.states } : {}), ...wrist };
}

/**
 * An episode on disk without its frames in memory: the actions, and `frame(i)` reading one frame
 * from the file. Training samples a few frames a step from thousands of episodes; holding them all
 * as objects filled the heap with gigabytes of buffers and halved the training rate.
 */
export interface EpisodeOnDisk extends Omit<Episode, 'frames' | 'wrist'> {
  steps: number;
  frame(i: number): Uint8Array;
  /** The wrist camera's frame i (episodes with `wristSize` only). */
  wristFrame(i: number): Uint8Array;
}

/** A dataset folder: append episodes, read them back, resume after a crash. */
export class EpisodeStore {
  readonly index: DatasetIndex;

  private constructor(
    readonly dir: string,
    index: DatasetIndex,
  ) {
    this.index = index;
  }

  /**
   * Opens a dataset folder, creating it for frames of the given size if it does not exist. `wristSize`
   * (0: none) is checked against the dataset's when given: collect passes it, readers need not.
   */
  static open(dir: string, size: { width: number; height: number; wristSize?: number }): EpisodeStore {
    mkdirSync(dir, { recursive: true });
    const indexPath = join(dir, 'index.json');
    let index: DatasetIndex = { version: 1, width: size.width, height: size.height, ...(size.wristSize ? { wristSize: size.wristSize } : {}), episodes: [] };
    if (existsSync(indexPath)) {
      index = JSON.parse(readFileSync(indexPath, 'utf8')) as DatasetIndex;
      if (index.width !== size.width || index.height !== size.height) {
        throw new Error(`${dir} holds ${index.width}x${index.height} frames, not ${size.width}x${size.height}`);
      }
      if (size.wristSize !== undefined && (index.wristSize ?? 0) !== size.wristSize) {
        throw new Error(`${dir} holds ${index.wristSize ? `${index.wristSize}-pixel wrist frames` : 'no wrist frames'}, not ${size.wristSize ? `${size.wristSize}-pixel ones` : 'none'}`);
      }
    }
    // Episode files written before a crash but never indexed are dropped: they may be incomplete.
    const named = new Set(index.episodes.map((e) => e.file));
    for (const f of readdirSync(dir)) if ((f.endsWith('.bin') && !named.has(f)) || f.includes('.tmp-')) rmSync(join(dir, f));
    return new EpisodeStore(dir, index);
  }

  /** Whether the episode for (suite, task, init) is already stored. */
  has(suite: string, task: number, init: number): boolean {
    return this.index.episodes.some((e) => e.suite === suite && e.task === task && e.init === init);
  }

  append(ep: Episode, opts: { dagger?: boolean } = {}): void {
    if (ep.width !== this.index.width || ep.height !== this.index.height) throw new Error(`episode frames are ${ep.width}x${ep.height}, dataset is ${this.index.width}x${this.index.height}`);
    if ((ep.wristSize ?? 0) !== (this.index.wristSize ?? 0)) throw new Error(`episode wrist frames are ${ep.wristSize ?? 'absent'}, dataset's are ${this.index.wristSize ?? 'absent'}`);
    const file = `${ep.suite}-t${ep.task}-i${ep.init}.bin`;
    writeFileAtomic(join(this.dir, file), encodeEpisode(ep));
    this.index.episodes.push({ file, suite: ep.suite, task: ep.task, init: ep.init, instruction: ep.instruction, steps: ep.frames.length, success: ep.success, ...(opts.dagger ? { dagger: true } : {}) });
    writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(this.index, null, 1));
  }

  read(entry: DatasetIndexEntry): Episode {
    return decodeEpisode(readFileSync(join(this.dir, entry.file)), entry.file);
  }

  /** The episode's header and actions now, its frames one at a time on demand (see EpisodeOnDisk). */
  openOnDisk(entry: DatasetIndexEntry): EpisodeOnDisk {
    const path = join(this.dir, entry.file);
    const readAt = (at: number, n: number): Uint8Array => {
      const fd = openSync(path, 'r');
      try {
        const out = new Uint8Array(n);
        if (readSync(fd, out, 0, n, at) !== n) throw new Error(`${path}: short read (file changed?)`);
        return out;
      } finally {
        closeSync(fd);
      }
    };
    const size = statSync(path).size;
    const hlen = size < 8 ? 0 : new DataView(readAt(0, 8).buffer).getUint32(4, true);
    const { h, framesAt, frameBytes, wristAt, wristBytes, actionsAt } = parseHeader(readAt(0, Math.min(size, 8 + hlen)), size, entry.file);
    const actions = readActions(readAt(actionsAt, h.steps * ACTION_DIM * 4), h.steps);
    // The frame readers keep only these alive, not the header: a trainer holds a reader per episode,
    // and every header's per-frame points and states (hundreds of thousands of small arrays over a
    // dataset) made each garbage collection walk them, at over half the training time.
    const { steps } = h;
    const { file } = entry;
    const frameAt = (at: number, bytes: number) => (i: number): Uint8Array => {
      if (!Number.isInteger(i) || i < 0 || i >= steps) throw new Error(`${file}: no frame ${i} (${steps} steps)`);
      if (bytes === 0) throw new Error(`${file}: no wrist frames (collected without --wrist)`);
      return readAt(at + i * bytes, bytes);
    };
    return { suite: h.suite, task: h.task, init: h.init, instruction: h.instruction, success: h.success, width: h.width, height: h.height, steps: h.steps, actions, frame: frameAt(framesAt, frameBytes), wristFrame: frameAt(wristAt, wristBytes), ...(h.points ? { points: h.points } : {}), ...(h.states ? { states: h.states } : {}), ...(h.wristSize ? { wristSize: h.wristSize } : {}) };
  }
}

/**
 * OpenVLA's dataset statistics for un-normalization: per action dimension the 1st and 99th
 * percentiles (q01, q99), mean, std, min, max, and `mask` (true = normalized; the gripper is not).
 */
export interface ActionStats {
  q01: number[];
  q99: number[];
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
  mask: boolean[];
}

/** Whether two actions give the same gripper command (either convention: env -1/+1, dataset 0/1). */
export function sameGripperCommand(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return Math.sign(a[6]!) === Math.sign(b[6]!);
}

export function actionStats(actions: readonly Float32Array[]): ActionStats {
  if (actions.length === 0) throw new Error('actionStats: no actions');
  const stats: ActionStats = { q01: [], q99: [], mean: [], std: [], min: [], max: [], mask: [] };
  for (let j = 0; j < ACTION_DIM; j++) {
    const col = Float64Array.from(actions, (a) => a[j]!).sort();
    const mean = col.reduce((s, x) => s + x, 0) / col.length;
    stats.q01.push(quantile(col, 0.01));
    stats.q99.push(quantile(col, 0.99));
    stats.mean.push(mean);
    stats.std.push(Math.sqrt(col.reduce((s, x) => s + (x - mean) ** 2, 0) / col.length));
    stats.min.push(col[0]!);
    stats.max.push(col[col.length - 1]!);
    stats.mask.push(j !== ACTION_DIM - 1);
  }
  return stats;
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
