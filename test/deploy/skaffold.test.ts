import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { valueAt } from './support/chart-values';
import { parseDockerfile } from './support/dockerfile';
import { renderChart } from './support/helm';
import { single, type PodSpec } from './support/objects';
import { chartDir, repoPath } from './support/paths';

interface HelmRelease {
  name: string;
  chartPath: string;
  setValueTemplates: Record<string, string>;
  setValues?: Record<string, string>;
}

interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  build: { artifacts: Array<{ image: string; context: string; docker: { dockerfile: string } }> };
  manifests?: { rawYaml?: string[] };
  deploy: {
    helm: { releases: HelmRelease[]; hooks?: { before: Array<{ host: { command: string[] } }> } };
    kubectl?: object;
  };
  portForward: Array<{ resourceType: string; resourceName: string; port: number; localPort: number }>;
  profiles: Array<{
    name: string;
    activation?: Array<{ command?: string }>;
    manifests?: { rawYaml: string[] };
    deploy?: { kubectl?: object };
    patches?: Array<{ op: string; path: string; value: unknown }>;
  }>;
}

/** The JSON-patch `add` operations skaffold applies for a profile (the only ones used here). */
function applyPatches(
  config: SkaffoldConfig,
  patches: Array<{ op: string; path: string; value: unknown }>,
): SkaffoldConfig {
  const copy = structuredClone(config);
  for (const patch of patches) {
    expect(patch.op).to.equal('add');
    const keys = patch.path.split('/').slice(1);
    const parent = keys.slice(0, -1).reduce<Record<string, unknown>>(
      (node, key) => {
        expect(node, `${patch.path}: parent of ${key}`).to.have.property(key);
        return node[key] as Record<string, unknown>;
      },
      copy as unknown as Record<string, unknown>,
    );
    parent[keys.at(-1)!] = patch.value;
  }
  return copy;
}

/** Values of a `--set` list for the chart, from skaffold's release settings. */
function templateValue(template: string, image: string): string {
  const name = image.replace(/[-/]/g, '_');
  return template
    .replace(`{{.IMAGE_REPO_${name}}}`, `registry.test/${image}`)
    .replace(`{{.IMAGE_TAG_${name}}}`, 'tag-1');
}

describe('skaffold.yaml', () => {
  const config = parse(readFileSync(repoPath('skaffold.yaml'), 'utf8')) as SkaffoldConfig;
  const release = config.deploy.helm.releases[0];
  const values: unknown = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));

  it('uses the current schema (skaffold/v4beta*)', () => {
    expect(config.apiVersion).to.match(/^skaffold\/v4beta\d+$/);
    expect(config.kind).to.equal('Config');
  });

  it('builds one image from each Dockerfile, with the repository as context', () => {
    const artifacts = config.build.artifacts.map((a) => ({
      image: a.image,
      dockerfile: a.docker.dockerfile,
      context: a.context,
    }));
    expect(artifacts).to.have.deep.members([
      { image: 'aletheia-gateway', dockerfile: 'Dockerfile.gateway', context: '.' },
      { image: 'aletheia-auth', dockerfile: 'Dockerfile.auth', context: '.' },
    ]);
    for (const artifact of artifacts)
      expect(existsSync(repoPath(artifact.dockerfile)), artifact.dockerfile).to.equal(true);
  });

  it('deploys helm/aletheia, feeding each built image to the container that runs its program', async () => {
    expect(config.deploy.helm.releases).to.have.length(1);
    expect(path.resolve(repoPath(), release.chartPath)).to.equal(chartDir);
    const set: string[] = [];
    for (const artifact of config.build.artifacts) {
      const cmd = parseDockerfile(artifact.docker.dockerfile).final.steps.find((s) => s.keyword === 'CMD')!;
      const program = /^dist\/([^/]+)\/src\/main\.js$/.exec(cmd.args.at(-1)!)![1];
      const key = program === 'gateway' ? 'gateway' : 'auth';
      for (const field of ['repository', 'tag']) {
        const valueName = `image.${key}.${field}`;
        expect(valueAt(values, valueName), `${valueName} exists in values.yaml`).to.be.a('string');
        const template = release.setValueTemplates[valueName];
        const variable = field === 'repository' ? 'IMAGE_REPO' : 'IMAGE_TAG';
        expect(template).to.equal(`{{.${variable}_${artifact.image.replace(/-/g, '_')}}}`);
        set.push(`${valueName}=${templateValue(template, artifact.image)}`);
      }
    }
    const spec = (
      single(await renderChart({ release: release.name, set }), 'Deployment').spec as { template: { spec: PodSpec } }
    ).template.spec;
    expect(spec.containers[0].image).to.equal('registry.test/aletheia-gateway:tag-1');
    expect(spec.initContainers![0].image).to.equal('registry.test/aletheia-auth:tag-1');
  });

  it('port-forwards the gateway Service', async () => {
    const service = single(await renderChart({ release: release.name }), 'Service');
    const port = (service.spec as { ports: Array<{ port: number; name: string }> }).ports[0];
    expect(config.portForward).to.deep.include({
      resourceType: 'service',
      resourceName: service.metadata.name,
      port: port.port,
      localPort: 3000,
    });
  });

  describe('profile dev', () => {
    const dev = config.profiles.find((profile) => profile.name === 'dev')!;

    it('exists and is on for `skaffold dev`', () => {
      expect(dev).to.exist;
      expect(dev.activation).to.deep.include({ command: 'dev' });
    });

    it('also applies every manifest of k8s/ with kubectl', () => {
      expect(dev.deploy?.kubectl).to.deep.equal({});
      expect(dev.manifests?.rawYaml).to.deep.equal(['k8s/*.yaml']);
      const files = readdirSync(repoPath('k8s')).filter((f) => f.endsWith('.yaml'));
      expect(files.length).to.be.above(0);
      expect(readdirSync(repoPath('k8s')).filter((f) => f.endsWith('.yml'))).to.deep.equal([]);
    });

    it('brings the database up before the helm release, whose hook Job migrates it', () => {
      const patched = applyPatches(config, dev.patches ?? []);
      const command = patched.deploy.helm.hooks?.before[0].host.command.join(' ') ?? '';
      expect(command).to.match(/kubectl .*apply -f k8s\//);
      expect(command).to.match(/rollout status statefulset\/aletheia-mysql/);
      expect(patched.deploy.helm.releases[0].chartPath).to.equal(release.chartPath);
    });

    it('sets values the chart knows, and the chart renders with them', async () => {
      const patched = applyPatches(config, dev.patches ?? []);
      const setValues = patched.deploy.helm.releases[0].setValues ?? {};
      expect(Object.keys(setValues)).to.have.length.above(0);
      for (const name of Object.keys(setValues)) expect(valueAt(values, name), name).to.not.equal(undefined);
      const objects = await renderChart({ set: Object.entries(setValues).map(([k, v]) => `${k}=${v}`) });
      expect((single(objects, 'Deployment').spec as { replicas: number }).replicas).to.equal(
        Number(setValues.replicaCount),
      );
    });
  });
});
