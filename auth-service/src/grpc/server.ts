import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { AuthServiceHandlers } from '../../../common/src/proto';
import { loadAuthPackageDefinition, loadAuthService, protoLoaderOptions } from '../../../common/src/proto';
import type { DatabaseHealth } from './database-health';

/** The main server (loopback or a unix socket only): AuthService, health, and reflection when enabled. */
export function createGrpcServer(
  handlers: AuthServiceHandlers,
  health: DatabaseHealth,
  options: { reflection: boolean },
): grpc.Server {
  const packageDefinition = loadAuthPackageDefinition();
  const server = new grpc.Server();
  server.addService(loadAuthService(packageDefinition).service, handlers);
  health.implementation.addToServer(server);
  if (options.reflection) {
    // Reflection describes the health service too, so `grpcurl list` shows everything served.
    const healthDefinition = protoLoader.loadSync(healthProtoPath, protoLoaderOptions);
    new ReflectionService({ ...packageDefinition, ...healthDefinition }).addToServer(server);
  }
  return server;
}

/** A server with grpc.health.v1 and nothing else: the port kubelet's probes reach from outside the pod. */
export function createHealthServer(health: DatabaseHealth): grpc.Server {
  const server = new grpc.Server();
  health.implementation.addToServer(server);
  return server;
}

/** Binds the address (plaintext: AuthService is reached on loopback or a unix socket only); returns the port. */
export function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/** Lets in-flight calls finish for up to `timeoutMs`, then cuts off whatever remains. */
export function shutdown(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
