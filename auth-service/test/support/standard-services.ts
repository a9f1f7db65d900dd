import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

// Clients for the standard services, built from the proto files those packages ship,
// exactly as grpcurl or a Kubernetes probe would see them.

type Constructor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;

function serviceConstructor(file: string, name: string, includeDirs: string[] = []): Constructor {
  const definition = protoLoader.loadSync(file, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs,
  });
  let current: unknown = grpc.loadPackageDefinition(definition);
  for (const part of name.split('.')) current = (current as Record<string, unknown>)[part];
  return current as Constructor;
}

const reflectionProto = path.join(
  path.dirname(require.resolve('@grpc/reflection')),
  '..',
  'proto',
  'grpc',
  'reflection',
  'v1',
  'reflection.proto',
);

/** grpc.health.v1.Health/Check: the serving status of `service` ('' = the whole server). */
export function healthStatus(address: string, service = ''): Promise<string> {
  const Health = serviceConstructor(healthProtoPath, 'grpc.health.v1.Health');
  const client = new Health(address, grpc.credentials.createInsecure()) as grpc.Client & {
    check(
      request: { service: string },
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
    ): void;
  };
  return new Promise<string>((resolve, reject) => {
    client.check({ service }, { deadline: Date.now() + 5000 }, (error, response) =>
      error ? reject(error) : resolve(response?.status ?? ''),
    );
  }).finally(() => client.close());
}

interface ReflectionResponse {
  list_services_response?: { service: Array<{ name: string }> };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

/** One request over grpc.reflection.v1.ServerReflection/ServerReflectionInfo. */
export function reflect(address: string, request: Record<string, string>): Promise<ReflectionResponse> {
  const Reflection = serviceConstructor(reflectionProto, 'grpc.reflection.v1.ServerReflection');
  const client = new Reflection(address, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(
      options: grpc.CallOptions,
    ): grpc.ClientDuplexStream<Record<string, string>, ReflectionResponse>;
  };
  return new Promise<ReflectionResponse>((resolve, reject) => {
    const stream = client.ServerReflectionInfo({ deadline: Date.now() + 5000 });
    stream.once('data', (response: ReflectionResponse) => {
      resolve(response);
      stream.end();
    });
    stream.once('error', reject);
    stream.write(request);
  }).finally(() => client.close());
}
