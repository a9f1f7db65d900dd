import * as grpc from '@grpc/grpc-js';
import { loadAuthService } from '../../common/src/proto';
import { percentile, type LoadOutcome } from './measure';

export type AuthClient = InstanceType<ReturnType<typeof loadAuthService>>;

export function authClient(address: string): AuthClient {
  const AuthService = loadAuthService();
  return new AuthService(address, grpc.credentials.createInsecure());
}

/**
 * `concurrency` loops calling ValidateToken back to back for `seconds`, like the
 * gateway's calls but from the bench process: the auth-service's CPU per call is the figure.
 */
export async function runValidateTokenLoad(
  client: AuthClient,
  accessTokens: string[],
  concurrency: number,
  seconds: number,
): Promise<LoadOutcome> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const started = performance.now();
  const deadlineAt = started + seconds * 1000;
  let next = 0;
  const call = (token: string) =>
    new Promise<string>((resolve) => {
      client.validateToken({ accessToken: token }, { deadline: Date.now() + 5000 }, (error) => {
        resolve(error ? (grpc.status[error.code] ?? String(error.code)) : 'OK');
      });
    });
  const loop = async () => {
    while (performance.now() < deadlineAt) {
      const token = accessTokens[next++ % accessTokens.length];
      const sent = performance.now();
      const status = await call(token);
      latencies.push(performance.now() - sent);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const durationSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const completed = latencies.length;
  return {
    completed,
    succeeded: statuses.OK ?? 0,
    durationSeconds,
    p50Ms: round2(percentile(latencies, 0.5)),
    p99Ms: round2(percentile(latencies, 0.99)),
    statuses,
    errors: statuses.UNAVAILABLE ?? 0,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
