import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { chartDir } from './paths';

/**
 * The chart's values documentation: `## @param name description` lines in values.yaml
 * (one per value), and the tables of README.md made from them.
 */

export interface ValueParam {
  name: string;
  description: string;
  section: string;
}

export interface ValueRow {
  name: string;
  description: string;
  defaultValue: string;
}

export const valuesFile = path.join(chartDir, 'values.yaml');
export const readmeFile = path.join(chartDir, 'README.md');

export function readParams(valuesText: string): ValueParam[] {
  let section = '';
  const params: ValueParam[] = [];
  for (const line of valuesText.split('\n')) {
    const sectionMatch = /^\s*## @section (.+)$/.exec(line);
    if (sectionMatch) section = sectionMatch[1].trim();
    const match = /^\s*## @param (\S+) (.+)$/.exec(line);
    if (match) params.push({ name: match[1], description: match[2].trim(), section });
  }
  return params;
}

/** Paths of the values that are documented one by one: scalars, lists and empty maps. */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

export function valueAt(values: unknown, name: string): unknown {
  return name.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], values);
}

export function expectedRows(valuesText: string): ValueRow[] {
  const values: unknown = parse(valuesText);
  return readParams(valuesText).map((param) => ({
    name: param.name,
    description: param.description,
    defaultValue: JSON.stringify(valueAt(values, param.name)),
  }));
}

/** Rows of every `| \`name\` | description | \`default\` |` table line of the README. */
export function readmeRows(readmeText: string): ValueRow[] {
  return readmeText.split('\n').flatMap((line) => {
    const cells = /^\|(.*)\|\s*$/
      .exec(line)?.[1]
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    if (!cells || cells.length !== 3 || !/^`[^`]+`$/.test(cells[0])) return [];
    return [{ name: cells[0].slice(1, -1), description: cells[1], defaultValue: cells[2].replace(/^`|`$/g, '') }];
  });
}

/** The README's values tables, one per @section, between the markers. */
export function renderTables(valuesText: string): string {
  const params = readParams(valuesText);
  const rows = expectedRows(valuesText);
  const out: string[] = [];
  params.forEach((param, index) => {
    if (index === 0 || params[index - 1].section !== param.section) {
      if (index > 0) out.push('');
      out.push(`### ${param.section}`, '', '| Name | Description | Default |', '| --- | --- | --- |');
    }
    const row = rows[index];
    out.push(`| \`${row.name}\` | ${row.description} | \`${row.defaultValue}\` |`);
  });
  return out.join('\n');
}

const startMarker = '<!-- values-table:start -->';
const endMarker = '<!-- values-table:end -->';

/** Rewrites the tables in README.md (run `npx prettier --write helm/aletheia/README.md` after). */
export function writeReadmeTables(): void {
  const readme = readFileSync(readmeFile, 'utf8');
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${startMarker} ... ${endMarker} markers`);
  const tables = renderTables(readFileSync(valuesFile, 'utf8'));
  writeFileSync(readmeFile, `${readme.slice(0, start + startMarker.length)}\n\n${tables}\n\n${readme.slice(end)}`);
}

// `node dist/test/deploy/support/chart-values.js` regenerates the README tables.
if (require.main === module) writeReadmeTables();
