import loadMujoco from '@mujoco/mujoco';
import { AGENT_VIEW, Rasterizer, wristView, type Camera, type GeomPose } from './render.js';
import type { RgbImage } from '../model/index.js';
import { FINGER_OPEN, HAND_START, sceneXml, type SceneObject } from './scene.js';

type Mujoco = Awaited<ReturnType<typeof loadMujoco>>;
type MjModel = InstanceType<Mujoco['MjModel']>;
type MjData = InstanceType<Mujoco['MjData']>;

let mujoco: Promise<Mujoco> | undefined;

/** The MuJoCo WebAssembly module, loaded once per process. */
export function loadPhysics(): Promise<Mujoco> {
  mujoco ??= loadMujoco();
  return mujoco;
}

/** LIBERO's protocol constants: 20 Hz control, deltas scaled to 0.05 m and 0.5 rad per step. */
export const CONTROL_HZ = 20;
export const MAX_TRANSLATION = 0.05;
export const MAX_ROTATION = 0.5;
const SUBSTEPS = 25; // 25 × 2 ms = one 50 ms control step
const WORKSPACE = { min: [-0.4, -0.32, 0.015], max: [0.4, 0.32, 0.45] };

export interface RobotState {
  /** Hand position (the physical hand, which follows the mocap target through a weld), m. */
  eef: [number, number, number];
  /** Hand orientation quaternion (w, x, y, z). */
  quat: [number, number, number, number];
  /** Finger opening, m (0 = closed). */
  gripper: number;
}

export interface Observation {
  /** Agent-view RGB frame, upright (row 0 is the top; LIBERO's raw frames are upside down, hence its 180° rotation). */
  image: RgbImage;
  /** Camera on the hand, looking down past the fingers (only when the env was created with a wrist view). */
  wrist?: RgbImage;
  state: RobotState;
}

export interface EnvOptions {
  /** Square frame size in pixels (LIBERO: 256). */
  imageSize?: number;
  /** Also render the wrist camera into each observation. */
  wristView?: boolean;
  /** Square wrist frame size in pixels (default 128: datasets and evaluation render it alike, then resize it to the policy's input). */
  wristSize?: number;
  /** Shadows from the overhead lamp (default on). */
  shadows?: boolean;
}

/**
 * One tabletop world: MuJoCo physics stepped at 2 ms, a mocap hand that follows the 7-D delta
 * action smoothly over each 50 ms control step (no teleporting), and the renderer.
 */
export class TabletopEnv {
  private model: MjModel | null = null;
  private data: MjData | null = null;
  private xml = '';
  private readonly raster: Rasterizer;
  private readonly wristRaster: Rasterizer | null;
  private bodyIds = new Map<string, number>();
  /** qpos addresses of the hand's free joint and of the left finger's slide joint. */
  private handQpos = 0;
  private fingerQpos = 0;
  private jointQpos = new Map<string, number>();
  readonly imageSize: number;
  readonly wristView: boolean;

  constructor(
    private readonly mj: Mujoco,
    opts: EnvOptions = {},
    readonly camera: Camera = AGENT_VIEW,
  ) {
    this.imageSize = opts.imageSize ?? 256;
    this.wristView = opts.wristView ?? false;
    this.raster = new Rasterizer(this.imageSize, this.imageSize, opts.shadows ?? true);
    const wristSize = opts.wristSize ?? 128;
    this.wristRaster = !this.wristView ? null : wristSize === this.imageSize ? this.raster : new Rasterizer(wristSize, wristSize, opts.shadows ?? true);
  }

  /** A world rendering `imageSize`-pixel frames (a number for backward compatibility, or options). */
  static async create(opts: number | EnvOptions = {}): Promise<TabletopEnv> {
    return new TabletopEnv(await loadPhysics(), typeof opts === 'number' ? { imageSize: opts } : opts);
  }

  /** Builds (or reuses) the scene and puts everything at its initial state. */
  reset(objects: readonly SceneObject[]): void {
    const xml = sceneXml(objects);
    if (xml !== this.xml || !this.model || !this.data) {
      this.data?.delete();
      this.model?.delete();
      this.model = this.mj.MjModel.from_xml_string(xml);
      this.data = new this.mj.MjData(this.model);
      this.xml = xml;
      this.bodyIds = new Map();
      for (let i = 0; i < this.model.nbody; i++) this.bodyIds.set(this.model.body(i).name, i);
      this.jointQpos = new Map();
      for (let j = 0; j < this.model.njnt; j++) this.jointQpos.set(this.model.jnt(j).name, this.model.jnt_qposadr[j]!);
      this.handQpos = this.qposOf('hand');
      this.fingerQpos = this.qposOf('finger_left');
    }
    this.mj.mj_resetData(this.model, this.data);
    this.data.mocap_pos.set(HAND_START);
    this.data.mocap_quat.set([1, 0, 0, 0]);
    this.data.ctrl.set([FINGER_OPEN, FINGER_OPEN]);
    this.data.qpos.set([...HAND_START, 1, 0, 0, 0], this.handQpos);
    this.data.qpos[this.fingerQpos] = FINGER_OPEN;
    this.data.qpos[this.fingerQpos + 1] = FINGER_OPEN;
    for (const o of objects) if (o.kind === 'cabinet') this.data.qpos[this.qposOf(`${o.name}_drawer`)] = o.open ?? 0;
    this.mj.mj_forward(this.model, this.data);
  }

  private qposOf(joint: string): number {
    const adr = this.jointQpos.get(joint);
    if (adr === undefined) throw new Error(`scene has no joint ${joint}`);
    return adr;
  }

  /** Position of a one-dof joint (a drawer's opening, a button's travel). */
  jointPos(joint: string): number {
    return this.d.qpos[this.qposOf(joint)]!;
  }

  private get d(): MjData {
    if (!this.data) throw new Error('TabletopEnv: reset() first');
    return this.data;
  }

  /**
   * Applies one action [dx, dy, dz, droll, dpitch, dyaw, gripper], each clipped to [-1, 1]; the hand
   * moves by up to 0.05 m and 0.5 rad, spread over the control step; gripper -1 opens, +1 closes.
   */
  step(action: readonly number[]): void {
    if (action.length !== 7 || action.some((a) => !Number.isFinite(a))) throw new Error(`action must be 7 finite numbers, got [${action.join(', ')}]`);
    const a = action.map((v) => Math.max(-1, Math.min(1, v)));
    const d = this.d;
    const start = Array.from(d.mocap_pos) as [number, number, number];
    const goal = start.map((p, i) => Math.max(WORKSPACE.min[i]!, Math.min(WORKSPACE.max[i]!, p + a[i]! * MAX_TRANSLATION)));
    const q0 = Array.from(d.mocap_quat) as [number, number, number, number];
    const q1 = quatMul(axisAngleQuat([a[3]! * MAX_ROTATION, a[4]! * MAX_ROTATION, a[5]! * MAX_ROTATION]), q0);
    const finger = a[6]! > 0 ? 0 : FINGER_OPEN;
    d.ctrl.set([finger, finger]);
    for (let s = 1; s <= SUBSTEPS; s++) {
      const t = s / SUBSTEPS;
      d.mocap_pos.set(start.map((p, i) => p + (goal[i]! - p) * t));
      d.mocap_quat.set(normalizeQuat(q0.map((v, i) => v + (q1[i]! - v) * t) as [number, number, number, number]));
      this.mj.mj_step(this.model!, d);
    }
  }

  state(): RobotState {
    const q = this.d.qpos;
    const h = this.handQpos;
    return { eef: [q[h]!, q[h + 1]!, q[h + 2]!], quat: [q[h + 3]!, q[h + 4]!, q[h + 5]!, q[h + 6]!], gripper: q[this.fingerQpos]! };
  }

  /** World position of a body's origin (objects: their center). */
  bodyPos(name: string): [number, number, number] {
    const id = this.bodyIds.get(name);
    if (id === undefined) throw new Error(`no body named ${name}`);
    return Array.from(this.d.xpos.subarray(id * 3, id * 3 + 3)) as [number, number, number];
  }

  /** Renders the scene from `camera` (default: the agent view), at the agent view's size unless another rasterizer is given. */
  render(camera: Camera = this.camera, raster: Rasterizer = this.raster): RgbImage {
    const m = this.model!;
    const d = this.d;
    const geoms: GeomPose[] = [];
    for (let i = 0; i < m.ngeom; i++) {
      geoms.push({
        type: m.geom_type[i]!,
        size: m.geom_size.subarray(i * 3, i * 3 + 3),
        pos: d.geom_xpos.subarray(i * 3, i * 3 + 3),
        mat: d.geom_xmat.subarray(i * 9, i * 9 + 9),
        rgba: m.geom_rgba.subarray(i * 4, i * 4 + 4),
      });
    }
    return raster.render(geoms, camera);
  }

  observe(): Observation {
    const state = this.state();
    const obs: Observation = { image: this.render(), state };
    if (this.wristRaster) obs.wrist = this.render(wristView(state.eef), this.wristRaster);
    return obs;
  }

  dispose(): void {
    this.data?.delete();
    this.model?.delete();
    this.data = null;
    this.model = null;
    this.xml = '';
  }
}

function axisAngleQuat(r: [number, number, number]): [number, number, number, number] {
  const angle = Math.hypot(...r);
  if (angle < 1e-12) return [1, 0, 0, 0];
  const s = Math.sin(angle / 2) / angle;
  return [Math.cos(angle / 2), r[0] * s, r[1] * s, r[2] * s];
}

function quatMul(a: number[], b: number[]): [number, number, number, number] {
  return [
    a[0]! * b[0]! - a[1]! * b[1]! - a[2]! * b[2]! - a[3]! * b[3]!,
    a[0]! * b[1]! + a[1]! * b[0]! + a[2]! * b[3]! - a[3]! * b[2]!,
    a[0]! * b[2]! - a[1]! * b[3]! + a[2]! * b[0]! + a[3]! * b[1]!,
    a[0]! * b[3]! + a[1]! * b[2]! - a[2]! * b[1]! + a[3]! * b[0]!,
  ];
}

function normalizeQuat(q: [number, number, number, number]): [number, number, number, number] {
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}
