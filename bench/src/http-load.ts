import autocannon from 'autocannon';
import type { LoadOutcome } from './measure';

export type HttpRequestSpec = autocannon.Request;

export interface HttpLoadSpec {
  baseUrl: string;
  connections: number;
  /** The request sequence each connection loops over (setupRequest may vary every request). */
  requests: HttpRequestSpec[];
  /** Per-request timeout in seconds. */
  timeoutSeconds?: number;
}

/** One autocannon run of `seconds` against the spec. */
export async function runHttpLoad(spec: HttpLoadSpec, seconds: number): Promise<LoadOutcome> {
  const result = await runAutocannon(spec, { duration: seconds });
  return outcomeOf(result);
}

export function runAutocannon(
  spec: HttpLoadSpec,
  extra: Partial<autocannon.Options>,
): Promise<autocannon.Result> & {
  instance: autocannon.Instance;
} {
  let instance!: autocannon.Instance;
  const promise = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        requests: spec.requests,
        timeout: spec.timeoutSeconds ?? 10,
        ...extra,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  return Object.assign(promise, { instance });
}

export function outcomeOf(result: autocannon.Result): LoadOutcome {
  const statuses: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = count ?? 0;
  return {
    completed: result.requests.total,
    succeeded: result['2xx'],
    durationSeconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statuses,
    // Connection errors, timeouts included.
    errors: result.errors,
  };
}
