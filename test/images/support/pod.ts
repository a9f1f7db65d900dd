import type { K8sObject } from '../../deploy/support/helm';
import { single, type Container, type PodSpec, type SecurityContext } from '../../deploy/support/objects';

/** The parts of the pod API that decide how a container runs, beyond what the chart tests read. */
interface RunnableContainer extends Container {
  args?: string[];
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      configMapKeyRef?: { name: string; key: string; optional?: boolean };
    };
  }>;
  securityContext?: SecurityContext & { runAsGroup?: number };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}

interface RunnablePodSpec extends PodSpec {
  initContainers?: RunnableContainer[];
  containers: RunnableContainer[];
  securityContext?: SecurityContext & { runAsGroup?: number; fsGroup?: number };
  volumes?: Array<{ name: string; emptyDir?: { sizeLimit?: string } }>;
  terminationGracePeriodSeconds?: number;
}

/** One container of a rendered pod, as `docker run` arguments. */
export interface ContainerRun {
  /** The container's name in the pod. */
  name: string;
  /** Docker's name of the container. */
  dockerName: string;
  /** Everything after `docker run`: flags, the image, the command's arguments. */
  runArgs: string[];
  /** How long SIGTERM has before SIGKILL: the pod's grace period less the preStop pause. */
  stopSeconds: number;
  /** Where volumes are mounted in the container. */
  mountPoints: string[];
  /** The container's environment, references resolved. */
  env: Record<string, string>;
  container: RunnableContainer;
}

export interface RunOptions {
  /** Docker's name of the container. */
  dockerName: string;
  /** Variables set after the chart's own (e.g. a SQLite file in place of MySQL). */
  extraEnv?: Record<string, string>;
  /** Extra `--mount` specifications (e.g. the SQLite files' folder). */
  extraMounts?: string[];
}

const binaryUnits: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

function bytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`quantity ${quantity} is not understood here`);
  return Number(match[1]) * (match[2] ? binaryUnits[match[2]] : 1);
}

function cpus(quantity: string): string {
  return quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity;
}

/**
 * A rendered chart, run with Docker the way a kubelet runs it: each container with its
 * image, command, environment (ConfigMap and Secret references resolved from the rendered
 * objects), security context, resource limits and emptyDir volumes (tmpfs), on the host's
 * network namespace, which every container of the pod shares.
 */
export class RenderedChart {
  constructor(private readonly objects: K8sObject[]) {}

  get deployment(): RunnablePodSpec {
    return (single(this.objects, 'Deployment').spec as { template: { spec: RunnablePodSpec } }).template.spec;
  }

  get migrationJob(): RunnablePodSpec {
    return (single(this.objects, 'Job').spec as { template: { spec: RunnablePodSpec } }).template.spec;
  }

  /** The `helm test` pod. */
  get testPod(): RunnablePodSpec {
    return single(this.objects, 'Pod').spec as RunnablePodSpec;
  }

  containerRun(pod: RunnablePodSpec, container: RunnableContainer, options: RunOptions): ContainerRun {
    const flags = ['--name', options.dockerName, '--network', 'host'];
    const mountPoints: string[] = [];
    const env = { ...this.environment(container), ...options.extraEnv };
    for (const [name, value] of Object.entries(env)) {
      flags.push('--env', `${name}=${value}`);
    }
    flags.push(...securityFlags(pod.securityContext ?? {}, container.securityContext ?? {}));
    const limits = container.resources?.limits ?? {};
    if (limits.memory) flags.push('--memory', String(bytes(limits.memory)));
    if (limits.cpu) flags.push('--cpus', cpus(limits.cpu));
    for (const mount of container.volumeMounts ?? []) {
      const volume = pod.volumes?.find((v) => v.name === mount.name);
      if (!volume?.emptyDir) throw new Error(`volume ${mount.name} of ${container.name} is not an emptyDir`);
      const size = volume.emptyDir.sizeLimit ? `,tmpfs-size=${bytes(volume.emptyDir.sizeLimit)}` : '';
      flags.push('--mount', `type=tmpfs,destination=${mount.mountPath}${size}`);
      mountPoints.push(mount.mountPath);
    }
    for (const mount of options.extraMounts ?? []) {
      flags.push('--mount', mount);
      mountPoints.push(/(?:^|,)destination=([^,]+)/.exec(mount)![1]);
    }
    // Kubernetes' `command` replaces the image's ENTRYPOINT, `args` its CMD.
    const [entrypoint, ...commandArgs] = container.command ?? [];
    if (entrypoint !== undefined) flags.push('--entrypoint', entrypoint);
    const runArgs = [...flags, container.image, ...commandArgs, ...(container.args ?? [])];
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    const stopSeconds = grace - (container.lifecycle?.preStop?.sleep?.seconds ?? 0);
    return { name: container.name, dockerName: options.dockerName, runArgs, stopSeconds, mountPoints, env, container };
  }

  private environment(container: RunnableContainer): Record<string, string> {
    const env: Record<string, string> = {};
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef) Object.assign(env, this.data('ConfigMap', source.configMapRef.name));
      if (source.secretRef) Object.assign(env, this.data('Secret', source.secretRef.name));
    }
    for (const entry of container.env ?? []) {
      if (entry.value !== undefined) {
        env[entry.name] = entry.value;
        continue;
      }
      const ref = entry.valueFrom?.secretKeyRef ?? entry.valueFrom?.configMapKeyRef;
      if (!ref) throw new Error(`${container.name}: ${entry.name} comes from a source not emulated here`);
      const kind = entry.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
      const value = this.data(kind, ref.name, ref.optional)[ref.key];
      if (value !== undefined) env[entry.name] = value;
      else if (!ref.optional) throw new Error(`${container.name}: ${kind} ${ref.name} has no key ${ref.key}`);
    }
    return env;
  }

  /** A rendered ConfigMap's data, or a rendered Secret's data decoded. */
  private data(kind: 'ConfigMap' | 'Secret', name: string, optional = false): Record<string, string> {
    const object = this.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!object) {
      if (optional) return {};
      throw new Error(`${kind} ${name} is not rendered by the chart (an existing one is not emulated here)`);
    }
    const data = (object.data ?? {}) as Record<string, string>;
    if (kind === 'ConfigMap') return data;
    return Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
    );
  }
}

/** The pod's and the container's security contexts (the container's wins) as docker flags. */
function securityFlags(
  pod: SecurityContext & { runAsGroup?: number; fsGroup?: number },
  container: SecurityContext & { runAsGroup?: number },
): string[] {
  const context = { ...pod, ...container };
  const flags: string[] = [];
  if (context.runAsUser !== undefined) {
    flags.push(
      '--user',
      context.runAsGroup !== undefined ? `${context.runAsUser}:${context.runAsGroup}` : `${context.runAsUser}`,
    );
  }
  if (pod.fsGroup !== undefined) flags.push('--group-add', String(pod.fsGroup));
  if (context.readOnlyRootFilesystem) flags.push('--read-only');
  if (context.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  if (context.privileged) flags.push('--privileged');
  for (const capability of context.capabilities?.drop ?? []) flags.push('--cap-drop', capability);
  for (const capability of context.capabilities?.add ?? []) flags.push('--cap-add', capability);
  const seccomp = context.seccompProfile?.type;
  if (seccomp === 'Unconfined') flags.push('--security-opt', 'seccomp=unconfined');
  else if (seccomp !== undefined && seccomp !== 'RuntimeDefault') throw new Error(`seccomp ${seccomp} is not emulated`);
  return flags;
}
