import { TransportError, type HttpResponse } from './http';
import { sleep } from '../../support/managed-process';

/** What one operation of the load ended with: an HTTP status or a transport failure. */
export interface Outcome {
  /** Which kind of operation (e.g. "protected", "public"). */
  label: string;
  /** The HTTP status, or 'timeout' | 'refused' | 'reset' | 'other' without an answer. */
  result: number | TransportError['kind'];
  startedMs: number;
  durationMs: number;
  response?: HttpResponse;
}

export interface LoadOptions {
  /** Parallel operations in flight (at most 64). */
  concurrency: number;
  /** Upper bound on operations (at most 50,000). */
  maxOperations: number;
  /** Upper bound on wall time (at most 180 s). */
  maxDurationMs: number;
  /** Pace: operations started per second across all workers; unpaced when omitted. */
  ratePerSecond?: number;
  /** Performs operation number `index` and returns its label and response. */
  operation: (index: number) => { label: string; run: () => Promise<HttpResponse> };
}

export interface LoadRun {
  /** Resolves when the bounds are reached or stop() was called. */
  readonly done: Promise<Outcome[]>;
  /** Outcomes so far (live). */
  readonly outcomes: Outcome[];
  readonly startedAt: number;
  stop(): Promise<Outcome[]>;
}

const limits = { concurrency: 64, maxOperations: 50_000, maxDurationMs: 180_000 };

/**
 * A bounded closed-loop load generator: a few workers on loopback, a cap on operations
 * and on time, an optional pace. Every outcome is kept with its start time, so a
 * scenario can tell what happened before, during and after a fault.
 */
export function startLoad(options: LoadOptions): LoadRun {
  if (options.concurrency < 1 || options.concurrency > limits.concurrency) throw new Error('concurrency out of bounds');
  if (options.maxOperations < 1 || options.maxOperations > limits.maxOperations)
    throw new Error('maxOperations out of bounds');
  if (options.maxDurationMs < 1 || options.maxDurationMs > limits.maxDurationMs)
    throw new Error('maxDurationMs out of bounds');
  const outcomes: Outcome[] = [];
  const startedAt = performance.now();
  let next = 0;
  let stopped = false;

  const worker = async () => {
    for (;;) {
      if (stopped || next >= options.maxOperations || performance.now() - startedAt >= options.maxDurationMs) return;
      const index = next++;
      if (options.ratePerSecond) {
        const due = startedAt + (index * 1000) / options.ratePerSecond;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopped) return;
      }
      const { label, run } = options.operation(index);
      const began = performance.now();
      try {
        const response = await run();
        outcomes.push({
          label,
          result: response.status,
          startedMs: began - startedAt,
          durationMs: response.durationMs,
          response,
        });
      } catch (error) {
        const kind = error instanceof TransportError ? error.kind : 'other';
        outcomes.push({ label, result: kind, startedMs: began - startedAt, durationMs: performance.now() - began });
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => outcomes);
  return {
    done,
    outcomes,
    startedAt,
    async stop() {
      stopped = true;
      return done;
    },
  };
}

/** Counts outcomes by result, e.g. { "200": 812, "503": 40, timeout: 0 }. */
export function countResults(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[String(outcome.result)] = (counts[String(outcome.result)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The p-th percentile (0–100) of the values, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
