import { UnavailableError } from '../errors';

/**
 * Runs at most `concurrency` tasks at once; the rest wait in a bounded FIFO queue.
 * A waiting task whose caller has gone away (signal aborted) is dropped before it starts.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly queue: Array<{ start: () => void; signal?: AbortSignal }> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
  ) {}

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.queue.length >= this.maxQueue) throw new UnavailableError('too many logins in progress');
      await new Promise<void>((resolve) => this.queue.push({ start: resolve, signal }));
    } else {
      this.running += 1;
    }
    try {
      if (signal?.aborted) throw new UnavailableError('the caller went away');
      return await task();
    } finally {
      this.release();
    }
  }

  /** Hands the slot to the next waiter (the running count stays), or frees it. */
  private release(): void {
    const next = this.queue.shift();
    if (next) next.start();
    else this.running -= 1;
  }
}
