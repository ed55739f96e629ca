import { Worker } from 'node:worker_threads';
import type { RgbImage } from '../../model/index.js';
import type { ActionPolicy, ActionResult, LoadPolicyOptions } from './policy.js';
import type { PredictMessage, WorkerReply } from './policy-worker.js';

/**
 * A checkpoint loaded and run in a worker thread. Model calls are synchronous compute; in the
 * server's own thread they would hold every other request (health, metrics, 503s, shutdown) for
 * the length of a forward pass. The server's queue still sends one request at a time.
 */
export class WorkerPolicy implements ActionPolicy {
  private readonly pending = new Map<number, { resolve: (r: ActionResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private dead: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly description: ActionPolicy['description'],
    readonly unnormKeys: readonly string[],
    readonly wristView: boolean,
  ) {
    worker.on('message', (m: WorkerReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'result') p?.resolve(m.result);
      else p?.reject(new Error(m.message));
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`the policy worker crashed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`the policy worker exited (code ${code})`)));
  }

  /** Loads the checkpoint in a new worker; rejects with the loader's message when it cannot. */
  static start(opts: LoadPolicyOptions): Promise<WorkerPolicy> {
    const worker = new Worker(new URL('./policy-worker.js', import.meta.url), { workerData: opts });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the policy worker exited (code ${code}) while loading`));
      worker.once('exit', onExit);
      worker.once('error', reject);
      worker.once('message', (m: WorkerReply) => {
        worker.off('exit', onExit);
        worker.off('error', reject);
        if (m.type === 'ready') resolve(new WorkerPolicy(worker, m.description, m.unnormKeys, m.wristView));
        else reject(new Error(m.type === 'load_error' ? m.message : `unexpected first message from the policy worker: ${m.type}`));
      });
    });
  }

  get failure(): string | undefined {
    return this.dead?.message;
  }

  predict(image: RgbImage, instruction: string, opts: { unnormKey?: string; wrist?: RgbImage }): Promise<ActionResult> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    // Copies the worker can own: the request's bytes may be views into a larger (pooled) buffer.
    const transfer: ArrayBuffer[] = [];
    const own = (img: RgbImage) => {
      const data = img.data.slice();
      transfer.push(data.buffer);
      return { width: img.width, height: img.height, data };
    };
    const message: PredictMessage = { id, image: own(image), ...(opts.wrist ? { wrist: own(opts.wrist) } : {}), instruction, unnormKey: opts.unnormKey };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  /** Stops the worker (after the server has finished its requests). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
