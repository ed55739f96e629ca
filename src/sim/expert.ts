import type { Observation, TabletopEnv } from './env.js';
import { BUTTON_TRAVEL, DRAWER_TRAVEL, drawerInterior, FINGER_HALF_LENGTH, FINGER_OPEN, HANDLE_OFFSET, HANDLE_Z, objectHalfHeight, surfaceAbove, type SceneObject } from './scene.js';
import type { Goal } from './tasks.js';

/**
 * Scripted expert: each goal becomes a short list of waypoints (approach, descend, close, lift,
 * carry, lower, release, retreat; hook and pull or push a drawer; press a button; push an object),
 * followed at one speed per axis through the same 7-D action as a policy. A
 * waypoint's target is fixed when the phase starts, so motions are straight and consistent. The
 * expert reads object poses from the simulator (it is the demonstrator, not a policy).
 */
type V3 = [number, number, number];
interface Phase {
  /** What the phase does (approach, descend, grasp, lift, ...): for reports that group frames by it. */
  name: string;
  /** Target hand position, computed once when the phase starts. */
  to: (env: TabletopEnv, eef: V3) => V3;
  grip: -1 | 1;
  /** Fixed duration in steps (pressing a button) instead of "until reached". */
  hold?: number;
  /**
   * Stand still until the fingers are closed on something (or open): grasp, release. The end is what
   * the frame shows, not a count or a change between frames, which one frame cannot show.
   */
  settle?: boolean;
  /**
   * A waypoint the hand passes through: the phase ends within this distance, before the hand slows
   * down. Stopping there would show a policy the same frame labelled "stop" and then "go" (the switch
   * is the expert's hidden state), and the policy learns "stop".
   */
  pass?: number;
}

const CARRY_Z = 0.17;
/**
 * Each axis moves at this one speed (1 cm a step; 1 = 5 cm) or not at all. A policy clones it by an
 * argmax over 256 bins per axis, from one frame: a proportional controller spread its slow-downs over
 * most bins, each too rare to win, and so did five speed levels (3 cm down to 2.5 mm a step): the
 * cloned policies only ever chose full speed or zero, overshot by 3 cm and lifted off before the
 * fingers had closed. With one speed, every moving label on an axis is the same bin, and a step
 * taken one frame early or late is 1 cm.
 */
export const EXPERT_SPEED = 0.2;
/** An axis moves while it is at least half a step from its target: the hand stops within 5 mm. */
const HALF_STEP = 0.005;
const REACHED = 0.006;
const PASS = 0.025;
/** A phase that cannot reach its target (blocked by a contact) moves on after this many steps. */
const PATIENCE = 100;
/** Fingertip clearance above a surface when pushing along it. */
const SKIM = 0.008;

export class Expert {
  private phases: Phase[] = [];
  private phase = 0;
  private steps = 0;
  private target: V3 | null = null;
  /** The target of the phase that chose the last action (null once every phase has run). */
  aim: V3 | null = null;
  /** The name of the phase that chose the last action ('done' once every phase has run). */
  phaseName = 'done';

  constructor(
    private readonly env: TabletopEnv,
    private readonly scene: readonly SceneObject[],
    goals: readonly Goal[],
  ) {
    for (const g of goals) this.phases.push(...this.plan(g));
  }

  private find(name: string): SceneObject {
    const o = this.scene.find((s) => s.name === name);
    if (!o) throw new Error(`expert: "${name}" is not in the scene`);
    return o;
  }

  private plan(goal: Goal): Phase[] {
    switch (goal.kind) {
      case 'place': {
        const place = this.find(goal.place);
        const [ox, oy] = goal.offset ?? [0, 0];
        return this.pickAndPlace(this.find(goal.object), (env) => {
          const q = env.bodyPos(place.name);
          return [q[0] + ox, q[1] + oy, q[2] + surfaceAbove(place)];
        });
      }
      case 'stow': {
        const cab = this.find(goal.cabinet);
        const inner = drawerInterior(cab);
        // Aim at the part of the open drawer that sticks out in front of the cabinet's top shelf.
        return this.pickAndPlace(this.find(goal.object), (env) => {
          const q = env.bodyPos(`${cab.name}_drawer`);
          const front = env.bodyPos(cab.name)[1] - cab.size[1]!;
          return [q[0], Math.max(q[1] - inner.halfY + 0.035, Math.min(q[1], front - 0.035)), inner.floorZ];
        });
      }
      case 'drawer':
        return this.moveDrawer(this.find(goal.cabinet), goal.open);
      case 'press':
        return this.press(this.find(goal.stove));
      case 'push':
        return this.push(this.find(goal.object), goal.frontOf);
    }
  }

  /** Grasp `obj` from above, carry it at a safe height, lower it onto `surface(env)` (x, y, top z), release. */
  private pickAndPlace(obj: SceneObject, surface: (env: TabletopEnv) => V3): Phase[] {
    const h = objectHalfHeight(obj);
    let spot: V3 = [0, 0, 0];
    const carry = (env: TabletopEnv) => Math.max(CARRY_Z, surface(env)[2] + 2 * h + 0.05);
    return [
      // Approach at carry height: the fingers then clear the cabinet, an open drawer and the stove.
      { name: 'approach', to: (env) => { const p = env.bodyPos(obj.name); return [p[0], p[1], carry(env)]; }, grip: -1, pass: PASS },
      // Down until one more step would put the fingertips on what the object stands on; every frame
      // below that, the hand pressed onto the table included, is one the demonstrations answer with
      // "close". Stopping on the contact instead showed the same frame labelled "down" (the step the
      // table stopped) and then "close", and the cloned policy kept pressing down.
      { name: 'descend', to: (env) => { const p = env.bodyPos(obj.name); return [p[0], p[1], p[2] - h + FINGER_HALF_LENGTH + HALF_STEP]; }, grip: -1 },
      // Close while stepping up: pressed onto the table, an overshooting hand's fingertips drag and do not close.
      { name: 'grasp', to: (_, eef) => [eef[0], eef[1], eef[2] + 2 * HALF_STEP], grip: 1, settle: true },
      { name: 'lift', to: (env, eef) => [eef[0], eef[1], carry(env)], grip: 1, pass: PASS },
      { name: 'carry', to: (env) => { spot = surface(env); return [spot[0], spot[1], carry(env)]; }, grip: 1, pass: PASS },
      // Lower until one more step would set the object down (from where it really hangs), as the descent.
      { name: 'lower', to: (env, eef) => [spot[0], spot[1], eef[2] - (env.bodyPos(obj.name)[2] - h - spot[2]) + HALF_STEP], grip: 1 },
      // Open while stepping up, as the grasp closes: fingers pressed against the object open slowly.
      { name: 'release', to: (_, eef) => [eef[0], eef[1], eef[2] + 2 * HALF_STEP], grip: -1, settle: true },
      { name: 'retreat', to: (env, eef) => [eef[0], eef[1], carry(env)], grip: -1 },
    ];
  }

  /**
   * Open or close a drawer: closed fingers go down into the gap between the handle bar and the
   * front panel, then the hand moves along y (pulling the handle, or pushing the panel), then rises.
   */
  private moveDrawer(cab: SceneObject, open: boolean): Phase[] {
    const inner = drawerInterior(cab);
    // The closed drawer's front panel sits 1 cm behind the cabinet front; the usable gap is the part
    // of the space behind the handle bar (5 mm thick) that lies in front of the cabinet.
    const recess = cab.size[1]! - inner.halfY;
    const gap = HANDLE_OFFSET - 0.005 - recess;
    const gapY = (env: TabletopEnv) => env.bodyPos(`${cab.name}_drawer`)[1] - inner.halfY - recess - gap / 2;
    const high = HANDLE_Z + 0.1;
    const low = HANDLE_Z + 0.004;
    // The fingers (1.2 cm half thickness) travel this far before touching the handle (pull) or,
    // plus the recess, the front panel (push).
    const slack = gap / 2 - 0.012;
    return [
      { name: 'approach', to: (env) => [env.bodyPos(`${cab.name}_drawer`)[0], gapY(env), high], grip: 1, pass: PASS },
      { name: 'descend', to: (env) => [env.bodyPos(`${cab.name}_drawer`)[0], gapY(env), low], grip: 1 },
      {
        name: 'pull or push',
        to: (env, eef) => {
          const opening = env.jointPos(`${cab.name}_drawer`);
          return open ? [eef[0], eef[1] - (DRAWER_TRAVEL - 0.005 - opening) - slack, low] : [eef[0], eef[1] + opening + slack + recess + 0.004, low];
        },
        grip: 1,
      },
      { name: 'rise', to: (_, eef) => [eef[0], eef[1], high], grip: 1 },
    ];
  }

  /** Press a stove's button straight down with closed fingers, then rise. */
  private press(stove: SceneObject): Phase[] {
    const top = (env: TabletopEnv) => env.bodyPos(`${stove.name}_button`)[2] + 0.012;
    return [
      { name: 'approach', to: (env) => { const b = env.bodyPos(`${stove.name}_button`); return [b[0], b[1], top(env) + FINGER_HALF_LENGTH + 0.06]; }, grip: 1, pass: PASS },
      { name: 'descend', to: (env) => { const b = env.bodyPos(`${stove.name}_button`); return [b[0], b[1], top(env) - BUTTON_TRAVEL - 0.004 + FINGER_HALF_LENGTH]; }, grip: 1 },
      { name: 'press', to: (_, eef) => eef, grip: 1, hold: 3 },
      { name: 'rise', to: (env, eef) => [eef[0], eef[1], top(env) + FINGER_HALF_LENGTH + 0.06], grip: 1 },
    ];
  }

  /** Push an object towards the front (-y) with closed fingers skimming the table, behind its center. */
  private push(obj: SceneObject, frontOf: number): Phase[] {
    const halfY = obj.size[obj.kind === 'can' ? 0 : 1]!;
    const low = SKIM + FINGER_HALF_LENGTH;
    return [
      { name: 'approach', to: (env) => { const p = env.bodyPos(obj.name); return [p[0], p[1] + halfY + 0.012 + 0.025, low + 0.08]; }, grip: 1, pass: PASS },
      { name: 'descend', to: (env) => { const p = env.bodyPos(obj.name); return [p[0], p[1] + halfY + 0.012 + 0.025, low]; }, grip: 1 },
      { name: 'push', to: (_, eef) => [eef[0], frontOf - 0.03 + halfY + 0.012, low], grip: 1 },
      { name: 'rise', to: (_, eef) => [eef[0], eef[1], low + 0.1], grip: 1 },
    ];
  }

  /** Whether every phase has been run. */
  get done(): boolean {
    return this.phase >= this.phases.length;
  }

  act(obs: Observation): number[] {
    const eef = obs.state.eef as V3;
    if (this.done) {
      this.aim = null;
      this.phaseName = 'done';
      return [0, 0, 0, 0, 0, 0, this.phases.at(-1)?.grip ?? -1];
    }
    const p = this.phases[this.phase]!;
    if (p.settle && fingersShow(obs.state.gripper, p.grip)) {
      // This frame already shows the fingers closed (or open): answer it with the next phase's action.
      this.next();
      return this.act(obs);
    }
    this.target ??= p.to(this.env, eef);
    this.aim = this.target;
    this.phaseName = p.name;
    const err = this.target.map((t, i) => t - eef[i]!);
    const dist = Math.hypot(...err);
    const move = err.map((e) => (Math.abs(e) >= HALF_STEP ? Math.sign(e) * EXPERT_SPEED : 0));
    if (!p.settle && p.hold === undefined && move.every((m) => m === 0)) {
      // Within half a step on every axis: this frame is the next phase's, not a still one.
      this.next();
      return this.act(obs);
    }
    this.steps++;
    const ended = p.hold !== undefined ? this.steps >= p.hold : !p.settle && dist < (p.pass ?? REACHED);
    if (ended || this.steps > PATIENCE) this.next();
    return [...move, 0, 0, 0, p.grip];
  }

  private next(): void {
    this.phase++;
    this.steps = 0;
    this.target = null;
  }
}

/**
 * Whether a finger opening shows the grip command done: closed on something (5 mm in), or open to
 * within 5 mm (a finger can rest against the object or a drawer wall it just let go of).
 */
function fingersShow(opening: number, grip: -1 | 1): boolean {
  return grip > 0 ? opening < FINGER_OPEN - 0.005 : opening > FINGER_OPEN - 0.005;
}
