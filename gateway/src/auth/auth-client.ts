import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { authServiceName, callMetadata, loadAuthService, type AuthServiceClient } from '../../../common/src/proto';
import type { ChangePasswordResponse__Output } from '../../../generated/proto/aletheia/auth/v1/ChangePasswordResponse';
import type { DisableAccountResponse__Output } from '../../../generated/proto/aletheia/auth/v1/DisableAccountResponse';
import type { EnableAccountResponse__Output } from '../../../generated/proto/aletheia/auth/v1/EnableAccountResponse';
import type { ListSessionsResponse__Output } from '../../../generated/proto/aletheia/auth/v1/ListSessionsResponse';
import type { LoginResponse__Output } from '../../../generated/proto/aletheia/auth/v1/LoginResponse';
import type { LogoutAllResponse__Output } from '../../../generated/proto/aletheia/auth/v1/LogoutAllResponse';
import type { RefreshResponse__Output } from '../../../generated/proto/aletheia/auth/v1/RefreshResponse';
import type { ValidateTokenResponse__Output } from '../../../generated/proto/aletheia/auth/v1/ValidateTokenResponse';
import type { GatewayMetrics } from '../ops/metrics';
import type { Caller } from './caller';
import { problemFromGrpc, refusalReasonOf } from './grpc-errors';

export interface AuthClientOptions {
  address: string;
  timeoutMs: number;
  passwordTimeoutMs: number;
  gatewaySecret: string;
}

/**
 * A restarted auth service must be found again within about a second, and a silently
 * dead connection noticed within seconds rather than at the next TCP timeout.
 */
const channelOptions: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 15_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

type Callback<Response> = (error: grpc.ServiceError | null, response?: Response) => void;

/** One unary call, given its metadata, options and callback. */
type Invocation<Response> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: Callback<Response>,
) => grpc.ClientUnaryCall;

interface CallOptions {
  timeoutMs?: number;
  /** What UNAUTHENTICATED means for this call: wrong credentials (login) or a bad token. */
  unauthenticated?: 'unauthenticated' | 'invalid-credentials';
  signal?: AbortSignal;
}

/** The standard health service's Check, as grpc-health-check defines it. */
const healthCheck = healthService.Check;

/**
 * The gateway's one channel to the auth service. Every call carries a deadline, the
 * request id, the client's address and the gateway secret (the auth-service believes the
 * address only with it), is timed, and fails with a ProblemError (see problemFromGrpc);
 * refusals are counted by reason.
 */
export class AuthClient {
  private readonly client: AuthServiceClient;
  /** A plain client on the same channel, for the health service's Check. */
  private readonly health: grpc.Client;

  constructor(
    private readonly options: AuthClientOptions,
    private readonly metrics: GatewayMetrics,
  ) {
    const AuthService = loadAuthService();
    this.client = new AuthService(options.address, grpc.credentials.createInsecure(), channelOptions);
    this.health = new grpc.Client(options.address, grpc.credentials.createInsecure(), {
      channelOverride: this.client.getChannel(),
    });
  }

  /**
   * Calls that wait for a password hash carry the long deadline, which the auth-service's
   * admission plans with. `signal`: cancels the call (the client went away); the auth
   * service then drops its queued hash.
   */
  async register(username: string, password: string, caller: Caller, signal?: AbortSignal): Promise<void> {
    await this.call('Register', (...call) => this.client.register({ username, password }, ...call), caller, {
      timeoutMs: this.options.passwordTimeoutMs,
      signal,
    });
  }

  login(username: string, password: string, caller: Caller, signal?: AbortSignal): Promise<LoginResponse__Output> {
    return this.call('Login', (...call) => this.client.login({ username, password }, ...call), caller, {
      timeoutMs: this.options.passwordTimeoutMs,
      unauthenticated: 'invalid-credentials',
      signal,
    });
  }

  refresh(refreshToken: string, caller: Caller): Promise<RefreshResponse__Output> {
    return this.call('Refresh', (...call) => this.client.refresh({ refreshToken }, ...call), caller);
  }

  async logout(accessToken: string, caller: Caller): Promise<void> {
    await this.call('Logout', (...call) => this.client.logout({ accessToken }, ...call), caller);
  }

  validateToken(accessToken: string, caller: Caller): Promise<ValidateTokenResponse__Output> {
    return this.call('ValidateToken', (...call) => this.client.validateToken({ accessToken }, ...call), caller);
  }

  /**
   * Waits for two hashes (the current password's check, the new one's), so it carries the
   * long deadline like login. The bearer check has already passed: UNAUTHENTICATED here is
   * the wrong current password.
   */
  changePassword(
    accessToken: string,
    passwords: { currentPassword: string; newPassword: string },
    caller: Caller,
    signal?: AbortSignal,
  ): Promise<ChangePasswordResponse__Output> {
    return this.call(
      'ChangePassword',
      (...call) => this.client.changePassword({ accessToken, ...passwords }, ...call),
      caller,
      { timeoutMs: this.options.passwordTimeoutMs, unauthenticated: 'invalid-credentials', signal },
    );
  }

  listSessions(accessToken: string, caller: Caller): Promise<ListSessionsResponse__Output> {
    return this.call('ListSessions', (...call) => this.client.listSessions({ accessToken }, ...call), caller);
  }

  async endSession(accessToken: string, sessionId: string, caller: Caller): Promise<void> {
    await this.call('EndSession', (...call) => this.client.endSession({ accessToken, sessionId }, ...call), caller);
  }

  logoutAll(accessToken: string, caller: Caller): Promise<LogoutAllResponse__Output> {
    return this.call('LogoutAll', (...call) => this.client.logoutAll({ accessToken }, ...call), caller);
  }

  disableAccount(accessToken: string, username: string, caller: Caller): Promise<DisableAccountResponse__Output> {
    return this.call(
      'DisableAccount',
      (...call) => this.client.disableAccount({ accessToken, username }, ...call),
      caller,
    );
  }

  enableAccount(accessToken: string, username: string, caller: Caller): Promise<EnableAccountResponse__Output> {
    return this.call(
      'EnableAccount',
      (...call) => this.client.enableAccount({ accessToken, username }, ...call),
      caller,
    );
  }

  /** True when the auth service's health service reports SERVING. */
  async serving(caller: Caller): Promise<boolean> {
    try {
      const answer = await this.call<object>(
        'Health.Check',
        (...call) =>
          this.health.makeUnaryRequest(
            healthCheck.path,
            healthCheck.requestSerialize,
            healthCheck.responseDeserialize,
            { service: authServiceName },
            ...call,
          ),
        caller,
      );
      return 'status' in answer && answer.status === 'SERVING';
    } catch {
      return false;
    }
  }

  close(): void {
    this.client.close();
  }

  private call<Response>(
    method: string,
    invoke: Invocation<Response>,
    caller: Caller,
    { timeoutMs = this.options.timeoutMs, unauthenticated = 'unauthenticated', signal }: CallOptions = {},
  ): Promise<Response> {
    const metadata = new grpc.Metadata();
    metadata.set(callMetadata.requestId, caller.requestId);
    metadata.set(callMetadata.clientAddress, caller.clientAddress);
    metadata.set(callMetadata.gatewaySecret, this.options.gatewaySecret);
    if (caller.userAgent !== undefined) metadata.set(callMetadata.clientUserAgent, caller.userAgent);
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const cancel = () => call.cancel();
      const call = invoke(metadata, { deadline: Date.now() + timeoutMs }, (error, response) => {
        signal?.removeEventListener('abort', cancel);
        const code = grpc.status[error ? error.code : grpc.status.OK] ?? 'UNKNOWN';
        this.metrics.observeGrpc(method, code, Number(process.hrtime.bigint() - started) / 1e9);
        const refusal = error && refusalReasonOf(error);
        if (refusal) this.metrics.countRefusal(method, refusal);
        if (error) reject(problemFromGrpc(error, unauthenticated));
        else if (response === undefined)
          reject(problemFromGrpc(new Error(`${method} answered nothing`), unauthenticated));
        else resolve(response);
      });
      if (signal?.aborted) call.cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}
