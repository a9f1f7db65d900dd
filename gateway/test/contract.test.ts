import { expect } from 'chai';
import { contractOperations, loadContract } from '../src/http/contract';
import { ContractSchemas, resolveRef, type SchemaNode } from '../src/http/operation-schemas';
import { problemStatuses, problemTypeBase } from '../src/http/problem';

/**
 * The platform answers some statuses on every operation (unknown query parameters,
 * missing tokens, outages, bodies). The contract must document each of them where it
 * can happen, so generated clients know every answer they may get.
 */
describe('openapi.yaml documents what the platform answers', () => {
  const { document } = loadContract();
  const operations = contractOperations(document);
  const responsesOf = (template: string, method: string) =>
    document.paths![template]![method.toLowerCase() as 'get']!.responses as Record<
      string,
      { $ref?: string; headers?: object }
    >;

  for (const operation of operations) {
    const name = `${operation.method.toUpperCase()} ${operation.template}`;
    it(`${name}: 400, and 401/503 when protected, 413/415 when it takes a body`, () => {
      const statuses = Object.keys(responsesOf(operation.template, operation.method));
      expect(statuses, name).to.include('400');
      if (operation.security) expect(statuses, name).to.include.members(['401', '503']);
      if (operation.hasBody) expect(statuses, name).to.include.members(['413', '415']);
    });
  }

  it('lists exactly the problem types the gateway can answer, with their statuses', () => {
    const description = (document.components!.schemas!.Problem as { description: string }).description;
    const documented = Object.fromEntries(
      [...description.matchAll(/^\| ([a-z-]+) \| (\d{3}) \|$/gm)].map(([, code, status]) => [code, Number(status)]),
    );
    const implemented = Object.fromEntries(problemStatuses);
    expect(documented).to.deep.equal(implemented);
  });

  it('makes the problem `type` an enum of exactly the catalogue, so clients can switch on it', () => {
    const problem = document.components!.schemas!.Problem as { properties: { type: { enum: string[] } } };
    expect([...problem.properties.type.enum].sort()).to.deep.equal(
      [...problemStatuses.keys()].map((code) => problemTypeBase + code).sort(),
    );
  });

  it('words every rule a standard keyword cannot: each pattern and oneOf of a request has an x-error-message', () => {
    const schemas = new ContractSchemas(document);
    const unworded: string[] = [];
    const visit = (where: string, node: SchemaNode | undefined) => {
      if (!node) return;
      const schema = resolveRef(document, node);
      if ((schema.pattern !== undefined || schema.oneOf !== undefined) && typeof schema['x-error-message'] !== 'string')
        unworded.push(where);
      for (const [name, property] of Object.entries((schema.properties as Record<string, SchemaNode>) ?? {}))
        visit(`${where}/${name}`, property);
    };
    for (const operation of operations) {
      const found = schemas.of(operation.method.toUpperCase(), operation.template)!;
      const name = `${operation.method.toUpperCase()} ${operation.template}`;
      for (const [part, map] of Object.entries({ query: found.query, headers: found.headers, params: found.params }))
        for (const [key, schema] of map) visit(`${name} /${part}/${key}`, schema);
      visit(`${name} /body`, found.body);
    }
    expect(unworded).to.deep.equal([]);
  });

  it('uses no custom format and no look-around, so any JSON Schema 2020-12 validator reads every rule', () => {
    const standard = new Set(['date', 'date-time', 'uuid', 'uri', 'password']);
    const text = JSON.stringify(document);
    const formats = [...text.matchAll(/"format":"([^"]+)"/g)].map(([, format]) => format);
    expect(formats.filter((format) => !standard.has(format))).to.deep.equal([]);
    const patterns = [...text.matchAll(/"pattern":("(?:[^"\\]|\\.)*")/g)].map(([, json]) => JSON.parse(json) as string);
    expect(patterns).to.not.be.empty;
    expect(patterns.filter((pattern) => /\(\?[=!<]/.test(pattern))).to.deep.equal([]);
    for (const pattern of patterns) expect(() => new RegExp(pattern, 'u'), pattern).to.not.throw();
  });
});
