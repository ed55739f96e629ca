/** Thrown by `SerialQueue.run` when the waiting line is full (the server answers 503). */
export class QueueFullError extends Error {
  constructor(capacity: number) {
    super(`the request queue is full (${capacity} waiting); retry later`);
    this.name = 'QueueFullError';
  }
}

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs jobs one at a time, in arrival order, with at most `capacity` jobs waiting behind the one
 * running. One at a time because a forward pass already uses every core; more would only share them.
 */
export class SerialQueue {
  private readonly waiting: Job[] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`queue capacity must be a non-negative integer, got ${capacity}`);
  }

  /** Jobs waiting (not counting the one running). */
  get depth(): number {
    return this.waiting.length;
  }

  get running(): boolean {
    return this.busy;
  }

  /** Queues a job; rejects at once with QueueFullError when `capacity` jobs already wait. */
  run<T>(job: () => T | Promise<T>): Promise<T> {
    if (this.busy && this.waiting.length >= this.capacity) return Promise.reject(new QueueFullError(this.capacity));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ run: job, resolve: resolve as (v: unknown) => void, reject });
      if (!this.busy) void this.pump();
    });
  }

  /** Resolves once nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (!this.busy && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.busy = true;
    for (let job = this.waiting.shift(); job; job = this.waiting.shift()) {
      try {
        job.resolve(await job.run());
      } catch (e) {
        job.reject(e);
      }
      // A policy run in this thread computes synchronously: yield to the event loop between jobs so
      // sockets, health checks and new arrivals (queued or refused) are served.
      await new Promise<void>((r) => setImmediate(r));
    }
    this.busy = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
