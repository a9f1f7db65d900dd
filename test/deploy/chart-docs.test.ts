import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  expectedRows,
  leafPaths,
  readmeFile,
  readmeRows,
  readParams,
  renderTables,
  valuesFile,
} from './support/chart-values';
import { chartDir } from './support/paths';

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  description?: string;
}

/** Paths the schema describes down to the values' leaves (maps it leaves open end there). */
function schemaLeaves(node: SchemaNode, prefix = ''): string[] {
  if (!node.properties) return [prefix];
  return Object.entries(node.properties).flatMap(([key, child]) =>
    schemaLeaves(child, prefix ? `${prefix}.${key}` : key),
  );
}

describe('Chart documentation and values schema', () => {
  const valuesText = readFileSync(valuesFile, 'utf8');
  const values: unknown = parse(valuesText);
  const params = readParams(valuesText);

  it('documents every value of values.yaml with exactly one @param line', () => {
    const names = params.map((param) => param.name);
    expect(
      names.filter((name, index) => names.indexOf(name) !== index),
      'duplicates',
    ).to.deep.equal([]);
    expect(names).to.have.members(leafPaths(values));
    for (const param of params) expect(param.section, param.name).to.not.equal('');
  });

  it('lists every value in the README tables with its description and default', () => {
    const rows = readmeRows(readFileSync(readmeFile, 'utf8'));
    const expected = expectedRows(valuesText);
    expect(
      rows,
      `README.md values tables are out of date; regenerate them (see README "Values"). Expected:\n${renderTables(valuesText)}`,
    ).to.deep.equal(expected);
  });

  it('has values.schema.json describe every value, and nothing else, closing every object it defines', () => {
    const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
    const described = schemaLeaves(schema);
    for (const leaf of leafPaths(values)) {
      expect(
        described.some((p) => leaf === p || leaf.startsWith(`${p}.`)),
        `schema for ${leaf}`,
      ).to.equal(true);
    }
    for (const described of schemaLeaves(schema)) {
      expect(
        params.some((p) => p.name === described || p.name.startsWith(`${described}.`)),
        `value for ${described}`,
      ).to.equal(true);
    }
    const open: string[] = [];
    const visit = (node: SchemaNode, at: string) => {
      if (node.properties) {
        if (node.additionalProperties !== false) open.push(at || '(root)');
        for (const [key, child] of Object.entries(node.properties)) visit(child, at ? `${at}.${key}` : key);
      }
    };
    visit(schema, '');
    expect(open, 'objects with listed properties must refuse others').to.deep.equal([]);
  });

  it('names every value in the production example that values.yaml documents', () => {
    const example: unknown = parse(readFileSync(path.join(chartDir, 'values-production.example.yaml'), 'utf8'));
    const documented = params.map((p) => p.name);
    for (const leaf of leafPaths(example)) {
      expect(
        documented.some((name) => leaf === name || leaf.startsWith(`${name}.`)),
        leaf,
      ).to.equal(true);
    }
  });
});
