import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { helm, renderChart, type K8sObject, type RenderOptions } from './support/helm';
import { KubernetesSchemas } from './support/kubernetes-schema';
import {
  allContainers,
  envValue,
  matchesSelector,
  ofKind,
  podSpecs,
  single,
  type Container,
  type PodSpec,
} from './support/objects';
import { chartDir, productionValuesFile } from './support/paths';

const chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };
const schemas = new KubernetesSchemas();
const grpcPort = 50051;
const healthPort = 50052;

/** Names that denote secrets: such settings never sit in a ConfigMap or a plain env value. */
const secretName = /SECRET|PASSWORD|PASSWD|TOKEN$|PRIVATE|_KEY$|DATABASE_URL/i;
const urlWithCredentials = /:\/\/[^/\s:@]+:[^/\s@]+@/;

function deploymentPod(objects: K8sObject[]): PodSpec {
  return (single(objects, 'Deployment').spec as { template: { spec: PodSpec } }).template.spec;
}

function gatewayOf(spec: PodSpec): Container {
  const gateway = spec.containers.find((container) => container.name === 'gateway');
  expect(gateway, 'gateway container').to.exist;
  return gateway!;
}

function authOf(spec: PodSpec): Container {
  const auth = spec.initContainers?.find((container) => container.name === 'auth-service');
  expect(auth, 'auth-service init container').to.exist;
  return auth!;
}

describe('Helm chart helm/aletheia', function () {
  this.timeout(120_000);

  describe('helm lint --strict', () => {
    for (const [title, args] of [
      ['default values', []],
      ['the production example', ['--values', productionValuesFile]],
    ] as const) {
      it(`is clean with ${title}`, async () => {
        const result = await helm(['lint', '--strict', chartDir, ...args]);
        expect(result.code, result.stdout + result.stderr).to.equal(0);
        expect(result.stdout).to.not.match(/\[(WARNING|ERROR)\]/);
        expect(result.stdout).to.contain('0 chart(s) failed');
      });
    }
  });

  const variants: Array<{ title: string; options: RenderOptions }> = [
    { title: 'default values', options: {} },
    { title: 'the production example', options: { valuesFiles: [productionValuesFile] } },
  ];

  for (const variant of variants) {
    describe(`rendered with ${variant.title}`, () => {
      let objects: K8sObject[];
      before(async () => {
        objects = await renderChart(variant.options);
      });

      it('validates strictly against the Kubernetes schemas', () => {
        expect(schemas.validate(objects)).to.deep.equal([]);
      });

      it('runs the auth service as a native sidecar, started before the gateway', () => {
        const spec = deploymentPod(objects);
        const auth = authOf(spec);
        expect(auth.restartPolicy).to.equal('Always');
        expect(auth.image).to.match(/aletheia[-/]auth/);
        expect(spec.containers.map((c) => c.name)).to.deep.equal(['gateway']);
        expect(gatewayOf(spec).image).to.match(/aletheia[-/]gateway/);
        // AuthService on the pod's loopback (the default host); only the health port is pod-wide.
        expect(envValue(auth, 'AUTH_GRPC_HOST')).to.equal(undefined);
        expect(envValue(auth, 'AUTH_GRPC_ADDRESS')).to.equal(undefined);
        expect(envValue(auth, 'AUTH_HEALTH_GRPC_ADDRESS')).to.equal(`0.0.0.0:${healthPort}`);
        expect(auth.ports).to.deep.equal([{ name: 'grpc-health', containerPort: healthPort, protocol: 'TCP' }]);
        expect(envValue(gatewayOf(spec), 'AUTH_GRPC_ADDRESS')).to.equal(`127.0.0.1:${grpcPort}`);
        // Both containers share the gateway secret, from the Secret.
        for (const container of [auth, gatewayOf(spec)]) {
          expect(
            container.env?.find((entry) => entry.name === 'AUTH_GATEWAY_SECRET')?.valueFrom?.secretKeyRef?.key,
          ).to.equal('AUTH_GATEWAY_SECRET');
        }
        const config = single(objects, 'ConfigMap').data as Record<string, string>;
        expect(config.AUTH_GRPC_PORT).to.equal(String(grpcPort));
        expect(config.MIGRATE_ON_START).to.equal('false');
        expect(config.NODE_ENV).to.equal('production');
      });

      it('probes the gateway over HTTP and the sidecar with native gRPC probes on its numeric health-only port', () => {
        const spec = deploymentPod(objects);
        const auth = authOf(spec);
        expect(auth.startupProbe?.grpc?.port).to.equal(healthPort);
        expect(auth.readinessProbe?.grpc?.port).to.equal(healthPort);
        expect(auth.livenessProbe?.tcpSocket?.port ?? auth.livenessProbe?.grpc?.port).to.equal(healthPort);
        const gateway = gatewayOf(spec);
        expect(gateway.startupProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
        expect(gateway.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
        expect(gateway.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
        expect(gateway.ports).to.deep.equal([
          { name: 'http', containerPort: 3000, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
        ]);
      });

      it('runs every container non-root, read-only, unprivileged, with resources and a writable /tmp', () => {
        const pods = podSpecs(objects);
        expect(pods.map((pod) => pod.object.kind).sort()).to.deep.equal(['Deployment', 'Job', 'Pod']);
        for (const { object, spec } of pods) {
          expect(spec.securityContext?.runAsNonRoot, `${object.kind} pod`).to.equal(true);
          expect(spec.securityContext?.seccompProfile?.type, `${object.kind} pod`).to.equal('RuntimeDefault');
          expect(spec.automountServiceAccountToken, `${object.kind} token`).to.equal(false);
          for (const container of allContainers(spec)) {
            const where = `${object.kind} ${object.metadata.name} / ${container.name}`;
            const context = container.securityContext ?? {};
            expect(context.runAsNonRoot, where).to.equal(true);
            expect(context.runAsUser, where).to.be.above(0);
            expect(context.readOnlyRootFilesystem, where).to.equal(true);
            expect(context.allowPrivilegeEscalation, where).to.equal(false);
            expect(context.privileged ?? false, where).to.equal(false);
            expect(context.capabilities?.drop, where).to.include('ALL');
            expect(context.capabilities?.add ?? [], where).to.deep.equal([]);
            expect(context.seccompProfile?.type, where).to.equal('RuntimeDefault');
            expect(container.resources?.requests?.cpu, where).to.be.a('string');
            expect(container.resources?.requests?.memory, where).to.be.a('string');
            expect(container.resources?.limits?.memory, where).to.be.a('string');
            if (object.kind !== 'Pod') {
              expect(
                container.volumeMounts?.map((mount) => mount.mountPath),
                where,
              ).to.include('/tmp');
            }
          }
        }
      });

      it('exposes HTTP only: no Service port and no NetworkPolicy rule reaches the gRPC port', () => {
        const podLabels = podSpecs(objects).find((pod) => pod.object.kind === 'Deployment')!.labels;
        for (const service of ofKind(objects, 'Service')) {
          const spec = service.spec as { selector: Record<string, string>; ports: Array<Record<string, unknown>> };
          expect(matchesSelector(podLabels, spec.selector)).to.equal(true);
          for (const port of spec.ports) {
            for (const field of [port.port, port.targetPort, port.name])
              expect(field).to.not.be.oneOf([grpcPort, healthPort, 'grpc', 'grpc-health']);
          }
          // The public Service carries HTTP; the ServiceMonitor's own Service the metrics port.
          const expected = service.metadata.name.endsWith('-metrics') ? ['metrics'] : ['http'];
          expect(spec.ports.map((port) => port.targetPort)).to.deep.equal(expected);
        }
        const policy = single(objects, 'NetworkPolicy').spec as {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: Array<{ ports?: Array<{ port: number | string }> }>;
        };
        expect(matchesSelector(podLabels, policy.podSelector.matchLabels)).to.equal(true);
        expect(policy.policyTypes).to.include('Ingress');
        expect(policy.ingress).to.have.length.above(0);
        for (const rule of policy.ingress) {
          // A rule without ports would admit every port, 50051 included.
          expect(rule.ports, 'ports of every ingress rule').to.have.length.above(0);
          expect(rule.ports!.map((port) => port.port)).to.satisfy(
            (ports: number[]) => [3000, 9464].includes(ports[0]) && ports.length === 1,
          );
        }
        expect(ofKind(objects, 'Ingress').every((ingress) => !JSON.stringify(ingress).includes('grpc'))).to.equal(true);
      });

      it('keeps secrets out of ConfigMaps and out of plain environment values', () => {
        for (const configMap of ofKind(objects, 'ConfigMap')) {
          for (const [key, value] of Object.entries((configMap.data ?? {}) as Record<string, string>)) {
            expect(key, `ConfigMap ${configMap.metadata.name}`).to.not.match(secretName);
            expect(value, `ConfigMap ${configMap.metadata.name} ${key}`).to.not.match(urlWithCredentials);
          }
        }
        for (const { object, spec } of podSpecs(objects)) {
          for (const container of allContainers(spec)) {
            for (const entry of container.env ?? []) {
              if (!secretName.test(entry.name)) continue;
              expect(entry.value, `${object.kind} ${container.name} ${entry.name}`).to.equal(undefined);
              expect(entry.valueFrom?.secretKeyRef, `${object.kind} ${container.name} ${entry.name}`).to.exist;
            }
          }
        }
      });

      it('migrates both databases in a pre-install,pre-upgrade hook Job that needs nothing the release creates', () => {
        const job = single(objects, 'Job');
        const annotations = job.metadata.annotations ?? {};
        expect(annotations['helm.sh/hook']?.split(',').sort()).to.deep.equal(['pre-install', 'pre-upgrade']);
        expect(annotations['helm.sh/hook-delete-policy']).to.contain('before-hook-creation');
        const spec = (job.spec as { template: { spec: PodSpec & { restartPolicy: string } } }).template.spec;
        expect(spec.restartPolicy).to.equal('Never');
        const steps = allContainers(spec).map((c) => ({ image: c.image.replace(/[:@].*$/, ''), command: c.command }));
        expect(steps).to.have.length(2);
        expect(steps[0].image).to.match(/auth$/);
        expect(steps[0].command).to.deep.equal(['node', 'dist/scripts/migrate.js', 'auth']);
        expect(steps[1].image).to.match(/gateway$/);
        expect(steps[1].command).to.deep.equal(['node', 'dist/scripts/migrate.js', 'orders']);
        // Before install, the chart's ConfigMap, Secret and ServiceAccount do not exist yet.
        const releaseObjects = objects
          .filter((o) => !o.metadata.annotations?.['helm.sh/hook'])
          .map((o) => `${o.kind}/${o.metadata.name}`);
        expect(spec.serviceAccountName ?? 'default').to.equal('default');
        for (const container of allContainers(spec)) {
          for (const source of container.envFrom ?? []) {
            expect(releaseObjects).to.not.include(`ConfigMap/${source.configMapRef?.name}`);
            expect(releaseObjects).to.not.include(`Secret/${source.secretRef?.name}`);
          }
          for (const entry of container.env ?? []) {
            const ref = entry.valueFrom?.secretKeyRef;
            if (ref) expect(releaseObjects, `${container.name} ${entry.name}`).to.not.include(`Secret/${ref.name}`);
          }
          expect(envValue(container, 'NODE_ENV')).to.equal('production');
        }
      });

      it('labels every object, and every pod, with the standard labels', () => {
        const labelled = [
          ...objects.map((o) => ({ what: `${o.kind} ${o.metadata.name}`, labels: o.metadata.labels ?? {} })),
          ...podSpecs(objects).map((p) => ({ what: `pods of ${p.object.kind}`, labels: p.labels })),
        ];
        for (const { what, labels } of labelled) {
          expect(labels['app.kubernetes.io/name'], what).to.equal('aletheia');
          expect(labels['app.kubernetes.io/instance'], what).to.equal('aletheia');
          expect(labels['app.kubernetes.io/version'], what).to.equal(chart.appVersion);
          expect(labels['app.kubernetes.io/part-of'], what).to.equal('aletheia');
          expect(labels['app.kubernetes.io/managed-by'], what).to.equal('Helm');
          expect(labels['app.kubernetes.io/component'], what).to.match(/^(api|metrics|migrations|test)$/);
          expect(labels['helm.sh/chart'], what).to.match(/^aletheia-\d+\.\d+\.\d+/);
        }
      });

      it('scales with an HPA and is protected by a PodDisruptionBudget', () => {
        const deployment = single(objects, 'Deployment');
        const hpa = single(objects, 'HorizontalPodAutoscaler');
        expect(hpa.apiVersion).to.equal('autoscaling/v2');
        const hpaSpec = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number };
        expect(hpaSpec.scaleTargetRef).to.include({ kind: 'Deployment', name: deployment.metadata.name });
        expect(hpaSpec.minReplicas).to.be.at.least(2);
        expect((deployment.spec as { replicas?: number }).replicas, 'replicas left to the HPA').to.equal(undefined);
        const pdb = single(objects, 'PodDisruptionBudget').spec as {
          selector: { matchLabels: Record<string, string> };
        };
        const podLabels = podSpecs([deployment])[0].labels;
        expect(matchesSelector(podLabels, pdb.selector.matchLabels)).to.equal(true);
        const serviceAccount = single(objects, 'ServiceAccount');
        expect(serviceAccount.automountServiceAccountToken).to.equal(false);
        expect(deploymentPod(objects).serviceAccountName).to.equal(serviceAccount.metadata.name);
      });

      it('ships a helm test pod that asks the Service for /readyz', () => {
        const pod = ofKind(objects, 'Pod').find((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
        expect(pod, 'test pod').to.exist;
        const service = ofKind(objects, 'Service').find((s) => !s.metadata.name.endsWith('-metrics'))!;
        const port = (service.spec as { ports: Array<{ port: number }> }).ports[0].port;
        const container = (pod!.spec as PodSpec).containers[0];
        expect(envValue(container, 'READYZ_URL')).to.equal(`http://${service.metadata.name}:${port}/readyz`);
        expect(container.command?.join(' ')).to.contain('res.status === 200');
      });
    });
  }

  describe('optional objects', () => {
    it('renders no Ingress and no ServiceMonitor by default', async () => {
      const objects = await renderChart();
      expect(ofKind(objects, 'Ingress')).to.deep.equal([]);
      expect(ofKind(objects, 'ServiceMonitor')).to.deep.equal([]);
    });

    it('serves /metrics on a port of its own that the public Service never carries; the ServiceMonitor scrapes it through a Service of that port alone', async () => {
      const objects = await renderChart({
        set: ['ingress.enabled=true', 'ingress.className=nginx', 'serviceMonitor.enabled=true'],
      });
      expect(schemas.validate(objects)).to.deep.equal([]);
      const config = single(objects, 'ConfigMap').data as Record<string, string>;
      expect(config.METRICS_PORT).to.equal('9464');
      const gateway = deploymentPod(objects).containers.find((container) => container.name === 'gateway')!;
      expect(gateway.ports).to.deep.include({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
      const services = ofKind(objects, 'Service');
      const ports = (service: K8sObject) =>
        (service.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
      const publicService = services.find((service) => service.metadata.name === 'aletheia')!;
      const metricsService = services.find((service) => service.metadata.name === 'aletheia-metrics')!;
      expect(ports(publicService)).to.deep.equal(['http']);
      expect(ports(metricsService)).to.deep.equal(['metrics']);
      const ingressBackend = (
        single(objects, 'Ingress').spec as { rules: Array<{ http: { paths: Array<{ backend: unknown }> } }> }
      ).rules[0].http.paths[0].backend;
      expect(ingressBackend).to.deep.equal({ service: { name: 'aletheia', port: { name: 'http' } } });
      const monitor = single(objects, 'ServiceMonitor').spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<Record<string, string>>;
      };
      expect(monitor.endpoints).to.have.length(1);
      expect(monitor.endpoints[0]).to.include({ port: 'metrics', path: '/metrics' });
      expect(matchesSelector(metricsService.metadata.labels ?? {}, monitor.selector.matchLabels)).to.equal(true);
      expect(matchesSelector(publicService.metadata.labels ?? {}, monitor.selector.matchLabels)).to.equal(false);
      const policy = single(objects, 'NetworkPolicy').spec as { ingress: Array<{ ports: Array<{ port: number }> }> };
      expect(policy.ingress.map((rule) => rule.ports.map((port) => port.port))).to.deep.equal([[3000], [9464]]);
    });

    it('takes CORS origins, timeouts and the docs switch into the settings', async () => {
      const objects = await renderChart({
        set: [
          'config.corsOrigins={https://app.example.com,https://admin.example.com}',
          'config.docsEnabled=false',
          'config.httpHeadersTimeoutMs=5000',
          'config.httpRequestTimeoutMs=20000',
        ],
      });
      expect(single(objects, 'ConfigMap').data).to.include({
        CORS_ORIGINS: 'https://app.example.com,https://admin.example.com',
        DOCS_ENABLED: 'false',
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        HTTP_REQUEST_TIMEOUT_MS: '20000',
      });
      const defaults = single(await renderChart(), 'ConfigMap').data as Record<string, string>;
      expect(defaults).to.include({ CORS_ORIGINS: '', DOCS_ENABLED: 'true', HTTP_HEADERS_TIMEOUT_MS: '10000' });
      const refused = await helm([
        'template',
        'aletheia',
        chartDir,
        '--set',
        'config.corsOrigins={https://*.example.com}',
      ]);
      expect(refused.code).to.not.equal(0);
    });

    it('renders a valid Ingress and ServiceMonitor for the HTTP port when metrics share it', async () => {
      const objects = await renderChart({
        set: [
          'ingress.enabled=true',
          'ingress.className=nginx',
          'serviceMonitor.enabled=true',
          'gateway.metricsPort=0',
        ],
      });
      expect(ofKind(objects, 'Service')).to.have.length(1);
      expect((single(objects, 'ConfigMap').data as Record<string, string>).METRICS_PORT).to.equal(undefined);
      expect(schemas.validate(objects)).to.deep.equal([]);
      const rule = (
        single(objects, 'Ingress').spec as { rules: Array<{ http: { paths: Array<{ backend: unknown }> } }> }
      ).rules[0];
      expect(rule.http.paths[0].backend).to.deep.equal({ service: { name: 'aletheia', port: { name: 'http' } } });
      const endpoints = (single(objects, 'ServiceMonitor').spec as { endpoints: Array<Record<string, string>> })
        .endpoints;
      expect(endpoints).to.have.length(1);
      expect(endpoints[0]).to.include({ port: 'http', path: '/metrics' });
    });

    it('drops the HPA and PDB when turned off, and sets the replica count', async () => {
      const objects = await renderChart({
        set: ['autoscaling.enabled=false', 'podDisruptionBudget.enabled=false', 'replicaCount=3'],
      });
      expect(ofKind(objects, 'HorizontalPodAutoscaler')).to.deep.equal([]);
      expect(ofKind(objects, 'PodDisruptionBudget')).to.deep.equal([]);
      expect((single(objects, 'Deployment').spec as { replicas: number }).replicas).to.equal(3);
    });
  });

  describe('NOTES.txt', () => {
    /** Renders NOTES.txt offline: a copy of the chart exposes it through a template of its own. */
    async function renderNotes(args: string[]): Promise<string> {
      const copy = mkdtempSync(path.join(os.tmpdir(), 'aletheia-notes-'));
      try {
        cpSync(chartDir, copy, { recursive: true });
        cpSync(path.join(chartDir, 'templates', 'NOTES.txt'), path.join(copy, 'notes.txt'));
        writeFileSync(
          path.join(copy, 'templates', 'notes-preview.yaml'),
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n',
        );
        const result = await helm([
          'template',
          'aletheia',
          copy,
          '--show-only',
          'templates/notes-preview.yaml',
          ...args,
        ]);
        expect(result.code, result.stderr).to.equal(0);
        return (parse(result.stdout) as { data: { notes: string } }).data.notes;
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }

    it('tells how to reach the API, test the release and where the secrets are', async () => {
      const notes = await renderNotes([]);
      expect(notes).to.contain('port-forward service/aletheia 3000:80');
      expect(notes).to.contain('helm test aletheia');
      expect(notes).to.contain('generated at install, kept on upgrade');
      expect(notes).to.contain('development MySQL of k8s/');
    });

    it('points at the Ingress host and the existing Secret with the production example', async () => {
      const notes = await renderNotes(['--values', productionValuesFile]);
      expect(notes).to.contain('https://api.aletheia.example.com/docs');
      expect(notes).to.contain('your Secret "aletheia-jwt"');
      expect(notes).to.not.contain('development MySQL');
    });
  });

  describe('secrets', () => {
    function secretData(objects: K8sObject[], name: string): Record<string, string> {
      const secret = ofKind(objects, 'Secret').find((o) => o.metadata.name === name);
      expect(secret, `Secret ${name}`).to.exist;
      return Object.fromEntries(
        Object.entries(secret!.data as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString(),
        ]),
      );
    }

    it('generates distinct 64-character JWT and gateway secrets when none are given', async () => {
      const data = secretData(await renderChart(), 'aletheia');
      expect(data.JWT_SECRET).to.match(/^[A-Za-z0-9]{64}$/);
      expect(data.JWT_REFRESH_SECRET).to.match(/^[A-Za-z0-9]{64}$/);
      expect(data.AUTH_GATEWAY_SECRET).to.match(/^[A-Za-z0-9]{64}$/);
      expect(data.PASSWORD_PEPPER).to.match(/^[A-Za-z0-9]{64}$/);
      expect(
        new Set([data.JWT_SECRET, data.JWT_REFRESH_SECRET, data.AUTH_GATEWAY_SECRET, data.PASSWORD_PEPPER]).size,
      ).to.equal(4);
    });

    it('gives the auth sidecar the password pepper from the Secret and the refresh grace window from the ConfigMap', async () => {
      const objects = await renderChart({ set: ['config.refreshGraceSeconds=20'] });
      expect(single(objects, 'ConfigMap').data).to.include({ REFRESH_GRACE_SECONDS: '20' });
      const auth = authOf(deploymentPod(objects));
      expect(auth.env!.find((variable) => variable.name === 'PASSWORD_PEPPER')?.valueFrom?.secretKeyRef).to.deep.equal({
        name: 'aletheia',
        key: 'PASSWORD_PEPPER',
      });
    });

    it('passes TRUST_PROXY and the login-abuse settings through the ConfigMap', async () => {
      const objects = await renderChart({ set: ['config.trustProxy=1', 'config.clientMaxHashesPerMinute=40'] });
      expect(single(objects, 'ConfigMap').data).to.include({
        TRUST_PROXY: '1',
        AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '40',
        AUTH_CLIENT_MAX_IN_FLIGHT: '2',
        LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: '100',
        LOGIN_KNOWN_CLIENT_DAYS: '30',
      });
    });

    it('puts credentials given in values into Secrets only, with a hook copy for the migration Job', async () => {
      const url = 'mysql://orders:s3cret-pw@db.example:3306/orders';
      const objects = await renderChart({
        set: [
          `database.orders.url=${url}`,
          'database.auth.passwordSecretRef.name=',
          'database.auth.password=auth-pw',
          `secrets.jwtSecret=${'a'.repeat(40)}`,
          `secrets.jwtRefreshSecret=${'b'.repeat(40)}`,
        ],
      });
      expect(schemas.validate(objects)).to.deep.equal([]);
      expect(secretData(objects, 'aletheia')).to.include({
        ORDERS_DATABASE_URL: url,
        AUTH_DB_PASSWORD: 'auth-pw',
        JWT_SECRET: 'a'.repeat(40),
      });
      const hookSecret = ofKind(objects, 'Secret').find((o) => o.metadata.name === 'aletheia-migrations')!;
      expect(Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight'])).to.be.below(
        Number(single(objects, 'Job').metadata.annotations?.['helm.sh/hook-weight']),
      );
      expect(secretData(objects, 'aletheia-migrations')).to.deep.equal({
        ORDERS_DATABASE_URL: url,
        AUTH_DB_PASSWORD: 'auth-pw',
      });
      expect(JSON.stringify(ofKind(objects, 'ConfigMap')))
        .to.not.contain('s3cret-pw')
        .and.not.contain('auth-pw');
      expect(JSON.stringify(single(objects, 'Job'))).to.contain('"name":"aletheia-migrations"');
    });

    it('uses an existing Secret instead of making one', async () => {
      const objects = await renderChart({
        set: ['secrets.existingSecret=prod-secrets', 'database.orders.host=', 'database.auth.host='],
      });
      expect(schemas.validate(objects)).to.deep.equal([]);
      expect(ofKind(objects, 'Secret')).to.deep.equal([]);
      const auth = authOf(deploymentPod(objects));
      const refs = Object.fromEntries((auth.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
      expect(refs.JWT_SECRET).to.deep.equal({ name: 'prod-secrets', key: 'JWT_SECRET' });
      expect(refs.AUTH_GATEWAY_SECRET).to.deep.equal({ name: 'prod-secrets', key: 'AUTH_GATEWAY_SECRET' });
      expect(refs.AUTH_DATABASE_URL).to.deep.equal({ name: 'prod-secrets', key: 'AUTH_DATABASE_URL', optional: true });
    });

    for (const [what, set, message] of [
      ['a short JWT secret', ['secrets.jwtSecret=short'], /at least 32 characters/],
      ['a short gateway secret', ['secrets.gatewaySecret=short'], /secrets\.gatewaySecret: at least 32 characters/],
      ['a short password pepper', ['secrets.passwordPepper=short'], /secrets\.passwordPepper: at least 32 characters/],
      ['a refresh grace window over 30 s', ['config.refreshGraceSeconds=31'], /refreshGraceSeconds/],
      [
        'equal JWT secrets',
        [`secrets.jwtSecret=${'x'.repeat(32)}`, `secrets.jwtRefreshSecret=${'x'.repeat(32)}`],
        /must differ/,
      ],
      [
        'secrets in values next to existingSecret',
        ['secrets.existingSecret=s', `secrets.jwtSecret=${'x'.repeat(32)}`],
        /leave it empty/,
      ],
      ['an admin username without password', ['secrets.adminUsername=boss'], /set both or neither/],
      ['a database with neither URL nor host', ['database.orders.host='], /database\.orders: set url/],
      ['an unknown value', ['gateway.portt=1'], /Additional property portt is not allowed/],
      ['a value of the wrong type', ['replicaCount=many'], /replicaCount/],
    ] as const) {
      it(`refuses ${what}`, async () => {
        const args = ['template', 'aletheia', chartDir, ...set.flatMap((s) => ['--set', s])];
        const result = await helm(args);
        expect(result.code).to.not.equal(0);
        expect(result.stderr).to.match(message);
      });
    }
  });
});
