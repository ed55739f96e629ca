import type { Observation, TabletopEnv } from './env.js';
import { objectHalfHeight, type SceneObject } from './scene.js';
import type { PlaceGoal } from './tasks.js';

/**
 * Scripted expert for pick-and-place goals, acting through the same 7-D action as a policy:
 * approach above the object, descend, close, lift, carry above the place, descend, release, retreat.
 * It reads object poses from the simulator (it is the demonstrator, not a policy).
 */
type Phase = { to: (env: TabletopEnv) => [number, number, number]; grip: -1 | 1; hold?: number };

const CARRY_Z = 0.17;
const GAIN = 0.8;
const MAX_ACTION = 0.6;
const REACHED = 0.006;

export class PickPlaceExpert {
  private phases: Phase[] = [];
  private phase = 0;
  private held = 0;
  private stuck = 0;

  constructor(
    private readonly env: TabletopEnv,
    private readonly scene: readonly SceneObject[],
    goals: readonly PlaceGoal[],
  ) {
    for (const g of goals) this.phases.push(...this.plan(g));
  }

  private plan(goal: PlaceGoal): Phase[] {
    const obj = this.scene.find((o) => o.name === goal.object)!;
    const place = this.scene.find((o) => o.name === goal.place)!;
    const h = objectHalfHeight(obj);
    const at = (name: string, z: (p: [number, number, number]) => number) => (env: TabletopEnv): [number, number, number] => {
      const p = env.bodyPos(name);
      return [p[0], p[1], z(p)];
    };
    // Grasp a little above the object's center so the fingers close on its upper half.
    const grasp = (p: [number, number, number]) => p[2] + Math.min(0.01, h * 0.4);
    const placeTop = (p: [number, number, number]) => p[2] + (place.kind === 'basket' ? -place.size[2]! + 0.01 : objectHalfHeight(place));
    let graspAt: [number, number, number] = [0, 0, 0];
    return [
      { to: at(obj.name, () => CARRY_Z - 0.04), grip: -1 },
      { to: (env) => (graspAt = at(obj.name, grasp)(env)), grip: -1 },
      { to: () => graspAt, grip: 1, hold: 6 },
      { to: () => [graspAt[0], graspAt[1], CARRY_Z], grip: 1 },
      { to: at(place.name, () => CARRY_Z), grip: 1 },
      { to: at(place.name, (p) => placeTop(p) + 2 * h + 0.012), grip: 1 },
      { to: at(place.name, (p) => placeTop(p) + 2 * h + 0.012), grip: -1, hold: 5 },
      { to: at(place.name, () => CARRY_Z), grip: -1 },
    ];
  }

  /** Whether every phase has been run. */
  get done(): boolean {
    return this.phase >= this.phases.length;
  }

  act(obs: Observation): number[] {
    const p = this.phases[Math.min(this.phase, this.phases.length - 1)]!;
    const target = p.to(this.env);
    const eef = obs.state.eef;
    const err = target.map((t, i) => t - eef[i]!);
    const dist = Math.hypot(...err);
    const move = err.map((e) => Math.max(-MAX_ACTION, Math.min(MAX_ACTION, (GAIN * e) / 0.05)));
    if (!this.done) {
      if (p.hold !== undefined) {
        if (++this.held >= p.hold) this.advance();
      } else if (dist < REACHED || ++this.stuck > 60) {
        this.advance();
      }
    }
    return [...move, 0, 0, 0, p.grip];
  }

  private advance(): void {
    this.phase++;
    this.held = 0;
    this.stuck = 0;
  }
}
