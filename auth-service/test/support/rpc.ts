import { expect } from 'chai';
import { Metadata, status, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import type { AuthServiceClient } from '../../../common/src/proto';

type Method =
  | 'Register'
  | 'Login'
  | 'Refresh'
  | 'Logout'
  | 'ValidateToken'
  | 'ChangePassword'
  | 'ListSessions'
  | 'EndSession'
  | 'LogoutAll'
  | 'DisableAccount'
  | 'EnableAccount';
type RequestOf<M extends Method> = Parameters<AuthServiceClient[M]>[0];
type ResponseOf<M extends Method> = NonNullable<Parameters<Parameters<AuthServiceClient[M]>[1]>[1]>;
type Callback<M extends Method> = (error: ServiceError | null, response?: ResponseOf<M>) => void;

/** One unary call (10 s deadline unless given), as a promise. */
export function rpc<M extends Method>(
  client: AuthServiceClient,
  method: M,
  request: RequestOf<M>,
  metadata: Metadata = new Metadata(),
  deadlineMs = 10_000,
): Promise<ResponseOf<M>> {
  const call = client[method].bind(client) as (
    request: RequestOf<M>,
    metadata: Metadata,
    options: CallOptions,
    callback: Callback<M>,
  ) => void;
  return new Promise((resolve, reject) => {
    call(request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response as ResponseOf<M>),
    );
  });
}

/** A call that must fail with `code`; returns the error for further checks. */
export async function rpcFails<M extends Method>(
  client: AuthServiceClient,
  method: M,
  request: RequestOf<M>,
  code: status,
  metadata: Metadata = new Metadata(),
): Promise<ServiceError> {
  let outcome: unknown;
  try {
    outcome = await rpc(client, method, request, metadata);
  } catch (error) {
    expect((error as ServiceError).code, (error as ServiceError).details).to.equal(code);
    return error as ServiceError;
  }
  expect.fail(`${method} succeeded with ${JSON.stringify(outcome)}; expected status ${code}`);
}

/** ValidateToken refuses the access token (UNAUTHENTICATED). */
export function rejectsAccess(client: AuthServiceClient, accessToken: string): Promise<ServiceError> {
  return rpcFails(client, 'ValidateToken', { accessToken }, status.UNAUTHENTICATED);
}

/** Refresh refuses the refresh token (UNAUTHENTICATED). */
export function rejectsRefresh(client: AuthServiceClient, refreshToken: string): Promise<ServiceError> {
  return rpcFails(client, 'Refresh', { refreshToken }, status.UNAUTHENTICATED);
}
