/**
 * Worker-thread side of WorkerPolicy: loads the checkpoint and runs predictions on request, so the
 * server's event loop stays free (health checks, 503s and shutdown answered while a forward runs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadActionPolicy, type ActionPolicy, type LoadPolicyOptions } from './policy.js';

export interface PredictMessage {
  id: number;
  image: { width: number; height: number; data: Uint8Array };
  wrist?: { width: number; height: number; data: Uint8Array };
  instruction: string;
  unnormKey?: string;
}

export type WorkerReply =
  | { type: 'ready'; description: ActionPolicy['description']; unnormKeys: string[]; wristView: boolean }
  | { type: 'load_error'; message: string }
  | { type: 'result'; id: number; result: Awaited<ReturnType<ActionPolicy['predict']>> }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const post = (reply: WorkerReply) => port.postMessage(reply);

let policy: ActionPolicy;
try {
  policy = loadActionPolicy(workerData as LoadPolicyOptions);
  post({ type: 'ready', description: policy.description, unnormKeys: [...policy.unnormKeys], wristView: policy.wristView ?? false });
} catch (e) {
  post({ type: 'load_error', message: (e as Error).message });
  process.exit(1);
}

port.on('message', (m: PredictMessage) => {
  policy.predict(m.image, m.instruction, { unnormKey: m.unnormKey, wrist: m.wrist }).then(
    (result) => post({ type: 'result', id: m.id, result }),
    (e: unknown) => post({ type: 'error', id: m.id, message: (e as Error).message ?? String(e) }),
  );
});
