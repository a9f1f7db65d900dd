import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../../generated/proto/auth';
import { repoRoot } from './repo-root';

export type { AuthServiceClient } from '../../generated/proto/aletheia/auth/v1/AuthService';
export type { AuthServiceHandlers } from '../../generated/proto/aletheia/auth/v1/AuthService';

export const authProtoFile = path.join(repoRoot, 'proto', 'aletheia', 'auth', 'v1', 'auth.proto');
export const authServiceName = 'aletheia.auth.v1.AuthService';

/** gRPC metadata the gateway and the auth-service exchange beside the messages (see auth.proto). */
export const callMetadata = {
  requestId: 'x-request-id',
  clientAddress: 'x-client-address',
  clientUserAgent: 'x-client-user-agent',
  gatewaySecret: 'x-gateway-secret',
  /** Trailing, on a refusal. */
  retryAfterSeconds: 'retry-after-seconds',
  /** Trailing, on a refusal. */
  refusalReason: 'refusal-reason',
  /** Trailing, on the UNAUTHENTICATED of a refresh token recognised as reused: the session it ended. */
  endedSessionId: 'ended-session-id',
} as const;

/** Options shared by both sides: int64 as JS numbers is safe for seconds and Unix times. */
export const protoLoaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export function loadAuthPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(authProtoFile, protoLoaderOptions);
}

/** The typed AuthService constructor: `.service` for servers, `new` for clients. */
export function loadAuthService(packageDefinition = loadAuthPackageDefinition()) {
  // loadPackageDefinition returns an untyped object; proto-loader-gen-types' ProtoGrpcType
  // describes it from the same .proto (generated/proto), the way that tool documents.
  const root = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  return root.aletheia.auth.v1.AuthService;
}
