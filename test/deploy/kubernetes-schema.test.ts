import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseManifests, renderChart, type K8sObject } from './support/helm';
import { KubernetesSchemas } from './support/kubernetes-schema';
import { allContainers, ofKind, podSpecs, single, type PodSpec } from './support/objects';
import { chartDir, repoPath } from './support/paths';

const schemas = new KubernetesSchemas();

function k8sManifests(): K8sObject[] {
  const dir = repoPath('k8s');
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .flatMap((file) => parseManifests(readFileSync(`${dir}/${file}`, 'utf8'), `k8s/${file}`));
}

describe('Kubernetes schema validation', function () {
  this.timeout(60_000);

  describe('is strict: an unknown field anywhere is an error', () => {
    let deployment: K8sObject;
    before(async () => {
      deployment = single(await renderChart({ set: ['serviceMonitor.enabled=true'] }), 'Deployment');
    });

    function withChange(change: (copy: K8sObject & { spec: { template: { spec: PodSpec } } }) => void): K8sObject {
      const copy = structuredClone(deployment) as K8sObject & { spec: { template: { spec: PodSpec } } };
      change(copy);
      return copy;
    }

    it('accepts the rendered Deployment as it is', () => {
      expect(schemas.validate([deployment])).to.deep.equal([]);
    });

    for (const [where, change, path] of [
      [
        'a container field (imagePullPolicyy)',
        (d) => Object.assign(d.spec.template.spec.containers[0], { imagePullPolicyy: 'Always' }),
        '/spec/template/spec/containers/0/imagePullPolicyy',
      ],
      [
        'a nested security setting of the sidecar',
        (d) => Object.assign(d.spec.template.spec.initContainers![0].securityContext!, { runAsNonRot: true }),
        '/spec/template/spec/initContainers/0/securityContext/runAsNonRot',
      ],
      [
        'a probe handler',
        (d) => Object.assign(d.spec.template.spec.initContainers![0].startupProbe!.grpc!, { prot: 50051 }),
        '/spec/template/spec/initContainers/0/startupProbe/grpc/prot',
      ],
      ['the Deployment spec', (d) => Object.assign(d.spec, { replica: 2 }), '/spec/replica'],
      ['metadata', (d) => Object.assign(d.metadata, { lables: {} }), '/metadata/lables'],
      [
        'an item of a list',
        (d) => Object.assign(d.spec.template.spec.volumes![0], { emptydir: {} }),
        '/spec/template/spec/volumes/0/emptydir',
      ],
    ] as Array<[string, (d: K8sObject & { spec: { template: { spec: PodSpec } } }) => void, string]>) {
      it(`reports a typo in ${where}`, () => {
        const problems = schemas.validate([withChange(change)]);
        expect(problems).to.deep.equal([{ object: 'Deployment aletheia', path, message: 'unknown field' }]);
      });
    }

    it('lets free-form maps (labels, annotations, resource quantities) hold any key', () => {
      const changed = withChange((d) => {
        d.spec.template.spec.containers[0].resources!.limits!['example.com/gpu'] = '1';
        d.metadata.annotations = { 'example.com/anything': 'yes' };
      });
      expect(schemas.validate([changed])).to.deep.equal([]);
    });

    it('still reports wrong types, values outside an enum, missing required fields and bad names', () => {
      const changed = withChange((d) => {
        d.spec.template.spec.containers[0].ports![0].containerPort = 'http' as unknown as number;
        Object.assign(d.spec.template.spec.containers[0], { imagePullPolicy: 'Sometimes' });
        delete (d.spec.template.spec.initContainers![0] as { name?: string }).name;
        d.metadata.name = 'Not_A_Name';
      });
      const paths = schemas.validate([changed]).map((p) => p.path);
      expect(paths).to.include.members([
        '/spec/template/spec/containers/0/ports/0/containerPort',
        '/spec/template/spec/containers/0/imagePullPolicy',
        '/spec/template/spec/initContainers/0',
        '/metadata/name',
      ]);
    });

    it('checks the ServiceMonitor (a CRD) against its own strict schema, metadata included', async () => {
      const monitor = single(await renderChart({ set: ['serviceMonitor.enabled=true'] }), 'ServiceMonitor');
      expect(schemas.validate([monitor])).to.deep.equal([]);
      const changed = structuredClone(monitor) as K8sObject & { spec: { endpoints: Array<Record<string, unknown>> } };
      changed.spec.endpoints[0].intervall = '5s';
      Object.assign(changed.metadata, { namespacee: 'x' });
      const problems = schemas.validate([changed]);
      expect(problems.map((p) => `${p.path} ${p.message}`)).to.have.members([
        '/spec/endpoints/0 unknown field intervall',
        '/metadata/namespacee unknown field',
      ]);
    });

    it('refuses a kind it has no schema for', () => {
      const problems = schemas.validate([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]);
      expect(problems).to.deep.equal([
        { object: 'Widget w', path: '/', message: 'no schema for example.com/v1 Widget' },
      ]);
    });
  });

  describe('k8s/ (the dev-loop MySQL)', () => {
    const objects = k8sManifests();
    const values = parse(readFileSync(`${chartDir}/values.yaml`, 'utf8')) as {
      database: Record<
        'orders' | 'auth',
        { host: string; port: number; name: string; user: string; passwordSecretRef: { name: string; key: string } }
      >;
    };

    it('validates strictly against the Kubernetes schemas', () => {
      expect(objects.map((o) => o.kind).sort()).to.deep.equal(['ConfigMap', 'Secret', 'Service', 'StatefulSet']);
      expect(schemas.validate(objects)).to.deep.equal([]);
    });

    it('is the database the chart defaults point at', () => {
      const service = single(objects, 'Service');
      const secret = single(objects, 'Secret') as K8sObject & { stringData: Record<string, string> };
      const init = Object.values(single(objects, 'ConfigMap').data as Record<string, string>).join('\n');
      for (const database of Object.values(values.database)) {
        expect(database.host).to.equal(service.metadata.name);
        expect((service.spec as { ports: Array<{ port: number }> }).ports[0].port).to.equal(database.port);
        expect(database.passwordSecretRef.name).to.equal(secret.metadata.name);
        expect(secret.stringData).to.have.property(database.passwordSecretRef.key);
        expect(secret.stringData.MYSQL_USER).to.equal(database.user);
      }
      expect(secret.stringData.MYSQL_DATABASE).to.equal(values.database.orders.name);
      expect(init).to.contain(`CREATE DATABASE IF NOT EXISTS ${values.database.auth.name}`);
      expect(init).to.contain(
        `GRANT ALL PRIVILEGES ON ${values.database.auth.name}.* TO '${values.database.auth.user}'@'%'`,
      );
    });

    it('runs a pinned MySQL image, non-root, with its data on a volume claim', () => {
      const statefulSet = single(objects, 'StatefulSet');
      const [pod] = podSpecs([statefulSet]);
      expect(pod.spec.securityContext?.runAsNonRoot).to.equal(true);
      for (const container of allContainers(pod.spec)) {
        expect(container.image).to.match(/^mysql:\d+\.\d+\.\d+$/);
        expect(container.securityContext?.allowPrivilegeEscalation).to.equal(false);
        expect(container.securityContext?.capabilities?.drop).to.include('ALL');
        expect(container.volumeMounts?.map((m) => m.mountPath)).to.include('/var/lib/mysql');
      }
      const claims = (statefulSet.spec as { volumeClaimTemplates: K8sObject[] }).volumeClaimTemplates;
      expect(claims.map((claim) => claim.metadata.name)).to.deep.equal(['data']);
      expect(ofKind(objects, 'Service')).to.have.length(1);
    });
  });
});
