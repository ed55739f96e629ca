import { gripperToEnv, type ActionDecoder, type DecodeStats, type VlaPolicy } from '../model/index.js';
import type { EnvOptions, Policy } from '../sim/index.js';

/**
 * A VLA as a policy in the benchmark world: each observation's agent view (and wrist view, for a
 * model that reads one; see vlaEnvOptions) and the instruction go
 * through `predictAction` with the given decoder; the un-normalized action goes to the env with the
 * gripper turned from the dataset convention (1 = open) into the env's (-1 = open, +1 = close).
 * Every call's decoding statistics, latency and normalized action (bin centers in [-1, 1]) are kept.
 */
export function vlaSimPolicy(vla: VlaPolicy, decoder: ActionDecoder, unnormKey?: string): { policy: Policy; stats: DecodeStats[]; latencyMs: number[]; normalized: number[][] } {
  const stats: DecodeStats[] = [];
  const latencyMs: number[] = [];
  const normalized: number[][] = [];
  const policy: Policy = (obs, instruction) => {
    if (vla.wristSize > 0 && !obs.wrist) throw new Error('this model reads the wrist camera: create the env with wristView');
    const out = vla.predictAction(obs.image, instruction, { unnormKey, decoder, wrist: vla.wristSize > 0 ? obs.wrist : undefined });
    stats.push(out.stats);
    latencyMs.push(out.timings.totalMs);
    normalized.push([...out.normalized]);
    const action = [...out.action];
    action[6] = gripperToEnv(action[6]!);
    return action;
  };
  return { policy, stats, latencyMs, normalized };
}

/** The benchmark world's options for a VLA: LIBERO's 256-pixel agent view, and the wrist camera when the model reads one. */
export function vlaEnvOptions(vla: VlaPolicy): EnvOptions {
  return { imageSize: 256, wristView: vla.wristSize > 0 };
}
