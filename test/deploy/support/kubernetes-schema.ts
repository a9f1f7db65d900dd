import Ajv, { type ErrorObject } from 'ajv';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './helm';
import { serviceMonitorSchema } from './service-monitor-schema';

/**
 * Validates Kubernetes objects against the schemas of the `kubernetes-models` package, and
 * strictly, as kubeconform's -strict does: a field the API does not define is an error.
 *
 * The package ships its OpenAPI schemas as compiled ajv validators (types, enums, required
 * fields) that, like the upstream schemas, let unknown fields through. The field lists come
 * from the package's TypeScript declarations of the same models, read with the TypeScript
 * compiler: every object level is checked against the properties its model declares.
 */

export interface SchemaProblem {
  object: string;
  path: string;
  message: string;
}

type CompiledValidate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** The compiled validators are CommonJS modules found at run time. */
const loadModule = createRequire(__filename);
const modelsRoot = path.dirname(loadModule.resolve('kubernetes-models/package.json'));

/** `apps/v1` + `Deployment` -> the model module of kubernetes-models (`v1` is the core group). */
function modelModulePath(apiVersion: string, kind: string): string | undefined {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) return undefined;
  const file = path.join(modelsRoot, ...apiVersion.split('/'), kind);
  return existsSync(`${file}.d.ts`) ? file : undefined;
}

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelKey =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export class KubernetesSchemas {
  private program: ts.Program | undefined;
  private programKinds = new Set<string>();
  private readonly compiled = new Map<string, CompiledValidate>();
  private readonly ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  private readonly crdValidators = new Map<string, CompiledValidate>([
    ['monitoring.coreos.com/v1/ServiceMonitor', this.ajv.compile(serviceMonitorSchema)],
  ]);

  /** Every problem of every object; empty when all are valid. */
  validate(objects: K8sObject[]): SchemaProblem[] {
    this.prepare(objects);
    return objects.flatMap((object) => this.validateOne(object));
  }

  private validateOne(object: K8sObject): SchemaProblem[] {
    const name = `${object.kind ?? '?'} ${object.metadata?.name ?? '?'}`;
    const problem = (at: string, message: string): SchemaProblem => ({ object: name, path: at, message });
    const problems: SchemaProblem[] = this.metadataProblems(object).map((p) => problem(p.path, p.message));

    const crd = this.crdValidators.get(`${object.apiVersion}/${object.kind}`);
    if (crd) {
      if (!crd(object)) problems.push(...(crd.errors ?? []).map((e) => problem(e.instancePath || '/', ajvMessage(e))));
      // The CRD schema leaves metadata to the core model.
      problems.push(
        ...this.checkAgainstModel(object.metadata, 'meta', '/metadata').map((p) => problem(p.path, p.message)),
      );
      return problems;
    }

    const modulePath = modelModulePath(object.apiVersion, object.kind);
    if (!modulePath) return [...problems, problem('/', `no schema for ${object.apiVersion} ${object.kind}`)];
    const validate = this.compiledValidator(modulePath);
    if (!validate(object))
      problems.push(...(validate.errors ?? []).map((e) => problem(e.instancePath || '/', ajvMessage(e))));
    problems.push(...this.checkAgainstModel(object, modulePath, '').map((p) => problem(p.path, p.message)));
    return problems;
  }

  /** Names and labels: rules of the API server that the OpenAPI schemas do not carry. */
  private metadataProblems(object: K8sObject): Array<{ path: string; message: string }> {
    const problems: Array<{ path: string; message: string }> = [];
    const name = object.metadata?.name;
    if (typeof name !== 'string' || name.length > 253 || !dnsSubdomain.test(name)) {
      problems.push({ path: '/metadata/name', message: `not a DNS subdomain name: ${String(name)}` });
    }
    for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
      if (!labelKey.test(key) || key.split('/').pop()!.length > 63) {
        problems.push({ path: `/metadata/labels/${key}`, message: 'invalid label key' });
      }
      if (typeof value !== 'string' || value.length > 63 || !labelValue.test(value)) {
        problems.push({ path: `/metadata/labels/${key}`, message: `invalid label value: ${String(value)}` });
      }
    }
    return problems;
  }

  private compiledValidator(modulePath: string): CompiledValidate {
    let validate = this.compiled.get(modulePath);
    if (!validate) {
      // The model module exports its class under the schema's name as well (IoK8s...).
      const exported = Object.keys(loadModule(modulePath) as object).find((key) => key.startsWith('IoK8s'));
      if (!exported) throw new Error(`no IoK8s export in ${modulePath}`);
      validate = (loadModule(path.join(modelsRoot, '_schemas', `${exported}.js`)) as { validate: CompiledValidate })
        .validate;
      this.compiled.set(modulePath, validate);
    }
    return validate;
  }

  /** Builds (once per new set of kinds) the TypeScript program over the models' declarations. */
  private prepare(objects: K8sObject[]): void {
    const needed = new Set(this.programKinds);
    for (const object of objects) {
      const modulePath = modelModulePath(object.apiVersion, object.kind);
      if (modulePath) needed.add(modulePath);
    }
    needed.add(objectMetaModule);
    if (this.program && needed.size === this.programKinds.size) return;
    this.programKinds = needed;
    this.program = ts.createProgram(
      [...needed].map((file) => `${file}.d.ts`),
      { noEmit: true, strict: true, skipLibCheck: true, types: [] },
      undefined,
      this.program,
    );
  }

  /** Unknown fields of `value`, checked against the model interface declared in `modulePath`. */
  private checkAgainstModel(value: unknown, modulePath: string, at: string): Array<{ path: string; message: string }> {
    const file = modulePath === 'meta' ? objectMetaModule : modulePath;
    const program = this.program!;
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(`${file}.d.ts`);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    const interfaceName = `I${path.basename(file)}`;
    const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === interfaceName);
    if (!symbol) throw new Error(`no interface ${interfaceName} in ${file}.d.ts`);
    const problems: Array<{ path: string; message: string }> = [];
    new UnknownFieldWalker(checker, problems).check(value, checker.getDeclaredTypeOfSymbol(symbol), at);
    return problems;
  }
}

const objectMetaModule = path.join(
  path.dirname(loadModule.resolve('@kubernetes-models/apimachinery/package.json')),
  'apis',
  'meta',
  'v1',
  'ObjectMeta',
);

class UnknownFieldWalker {
  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly problems: Array<{ path: string; message: string }>,
  ) {}

  check(value: unknown, declared: ts.Type, at: string): void {
    if (value === null || value === undefined || typeof value !== 'object') return;
    const type = this.checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    const shapes = (type.isUnion() ? type.types : [type]).filter((t) => t.flags & ts.TypeFlags.Object);
    if (Array.isArray(value)) {
      const arrayType = shapes.find((t) => this.checker.isArrayType(t)) as ts.TypeReference | undefined;
      if (!arrayType) return; // a type mismatch: the compiled schema reports it
      const [element] = this.checker.getTypeArguments(arrayType);
      value.forEach((item, index) => this.check(item, element, `${at}/${index}`));
      return;
    }
    const objectShapes = shapes.filter((t) => !this.checker.isArrayType(t));
    if (objectShapes.length === 0) return;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const fieldType = this.fieldType(objectShapes, key);
      if (fieldType === undefined) {
        this.problems.push({ path: `${at}/${key}`, message: 'unknown field' });
      } else if (fieldType !== null) {
        this.check(child, fieldType, `${at}/${key}`);
      }
    }
  }

  /** The declared type of `key` (null: free-form, anything goes; undefined: not declared). */
  private fieldType(shapes: ts.Type[], key: string): ts.Type | null | undefined {
    for (const shape of shapes) {
      const property = this.checker.getPropertyOfType(shape, key);
      if (property) return this.checker.getTypeOfSymbol(property);
      const index = this.checker.getIndexInfosOfType(shape).find((info) => info.keyType.flags & ts.TypeFlags.String);
      if (index) return index.type;
      if (this.checker.getPropertiesOfType(shape).length === 0) return null;
    }
    return undefined;
  }
}

function ajvMessage(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    return `unknown field ${String((error.params as { additionalProperty: string }).additionalProperty)}`;
  }
  // The compiled models carry no messages: name the rule and its parameters.
  return error.message ?? `${error.keyword} ${JSON.stringify(error.params)}`;
}
