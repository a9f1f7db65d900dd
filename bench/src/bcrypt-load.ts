import bcrypt from 'bcrypt';
import { percentile, type LoadOutcome } from './measure';

/**
 * The raw bcrypt-compare rate: `concurrency` loops of bcrypt.compare (libuv's thread
 * pool, as the auth-service runs it) at the service's cost, with nothing else in the
 * way. `concurrency` is the auth-service's BCRYPT_MAX_CONCURRENCY, so this is the most
 * logins per second the service could ever give with its bound in place.
 */
export async function runBcryptLoad(
  hash: string,
  password: string,
  concurrency: number,
  seconds: number,
): Promise<LoadOutcome> {
  const latencies: number[] = [];
  let mismatches = 0;
  const started = performance.now();
  const deadlineAt = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadlineAt) {
      const sent = performance.now();
      if (!(await bcrypt.compare(password, hash))) mismatches += 1;
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const durationSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    completed: latencies.length,
    succeeded: latencies.length - mismatches,
    durationSeconds,
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p99Ms: Math.round(percentile(latencies, 0.99)),
    statuses: { match: latencies.length - mismatches, mismatch: mismatches },
    errors: 0,
  };
}
