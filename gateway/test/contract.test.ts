import { expect } from 'chai';
import { loadContract } from '../src/http/contract';
import { OperationIndex } from '../src/http/operation-index';
import { problemCatalogue } from '../src/http/problem';

/**
 * The platform answers some statuses on every operation (unknown query parameters,
 * missing tokens, outages, bodies). The contract must document each of them where it
 * can happen, so generated clients know every answer they may get.
 */
describe('openapi.yaml documents what the platform answers', () => {
  const { document } = loadContract();
  const operations = new OperationIndex(document);
  const responsesOf = (template: string, method: string) =>
    document.paths![template]![method.toLowerCase() as 'get']!.responses as Record<
      string,
      { $ref?: string; headers?: object }
    >;

  for (const operation of operations.all()) {
    const name = `${operation.method} ${operation.template}`;
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
    const implemented = Object.fromEntries(
      Object.entries(problemCatalogue).map(([code, { status }]) => [code, status]),
    );
    expect(documented).to.deep.equal(implemented);
  });
});
