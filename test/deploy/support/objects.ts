import type { K8sObject } from './helm';

/** Just enough of the pod API for the assertions of these tests. */
export interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface Probe {
  grpc?: { port: number | string; service?: string };
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  periodSeconds?: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: object }>;
}

export interface PodTemplateOwner {
  object: K8sObject;
  labels: Record<string, string>;
  spec: PodSpec;
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function single(objects: K8sObject[], kind: string): K8sObject {
  const found = ofKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

/** Every pod spec the objects would run: workload templates and bare pods. */
export function podSpecs(objects: K8sObject[]): PodTemplateOwner[] {
  return objects.flatMap((object) => {
    if (object.kind === 'Pod') {
      return [{ object, labels: object.metadata.labels ?? {}, spec: object.spec as PodSpec }];
    }
    const template = (object.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } })
      ?.template;
    return template ? [{ object, labels: template.metadata?.labels ?? {}, spec: template.spec }] : [];
  });
}

export function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((entry) => entry.name === name)?.value;
}

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
}
