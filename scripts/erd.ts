import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createDatabase } from '../common/src/database';
import { authMigrations, ordersMigrations } from '../common/src/migration-sets';
import { migrateToLatest, type MigrationSet } from '../common/src/migrations';
import { repoRoot } from '../common/src/repo-root';

// `npm run docs:erd`: migrates both databases from scratch (embedded SQLite files in a
// temporary folder), reads back the tables, columns and unique indexes the migrations
// built, and writes the README's entity-relationship diagrams (Mermaid) between the
// `erd` markers. A test fails when the committed diagrams differ from what this makes.

export const readmeFile = path.join(repoRoot, 'README.md');
const startMarker = '<!-- erd:start (npm run docs:erd writes this section) -->';
const endMarker = '<!-- erd:end -->';

interface Column {
  name: string;
  type: string;
  primaryKey: boolean;
  unique: boolean;
}

interface Table {
  name: string;
  columns: Column[];
}

function rowsOf(result: unknown): Array<Record<string, unknown>> {
  return Array.isArray(result) ? result : [];
}

async function tablesOf(db: Knex, set: MigrationSet): Promise<Table[]> {
  const names = rowsOf(await db.raw("select name from sqlite_master where type = 'table' order by name"))
    .map((row) => String(row.name))
    .filter((name) => !name.startsWith('sqlite_') && !name.startsWith(set.tableName));
  const tables: Table[] = [];
  for (const name of names) {
    const uniqueColumns = new Set<string>();
    for (const index of rowsOf(await db.raw(`pragma index_list(${JSON.stringify(name)})`))) {
      if (Number(index.unique) !== 1 || index.origin === 'pk') continue;
      const columns = rowsOf(await db.raw(`pragma index_info(${JSON.stringify(String(index.name))})`));
      // A unique column on its own; a unique combination is marked on each of its columns.
      for (const column of columns) uniqueColumns.add(String(column.name));
    }
    const columns = rowsOf(await db.raw(`pragma table_info(${JSON.stringify(name)})`)).map((column) => ({
      name: String(column.name),
      // Mermaid takes letters, digits, `_`, `-` and parentheses in a type: `varchar(36)`.
      type:
        String(column.type)
          .toLowerCase()
          .replace(/[^a-z0-9()_-]+/g, '_') || 'text',
      primaryKey: Number(column.pk) > 0,
      unique: uniqueColumns.has(String(column.name)),
    }));
    tables.push({ name, columns });
  }
  return tables;
}

/**
 * The tables have no foreign keys (so they can be sharded by user id later): a column
 * `<thing>_id` refers to the table `<thing>s` of the same database by convention, and
 * the diagram draws that reference.
 */
function references(tables: Table[]): string[] {
  const names = new Set(tables.map((table) => table.name));
  return tables.flatMap((table) =>
    table.columns
      .filter((column) => column.name.endsWith('_id') && names.has(`${column.name.slice(0, -3)}s`))
      .map((column) => `  ${column.name.slice(0, -3)}s ||--o{ ${table.name} : "${column.name}"`),
  );
}

function diagram(title: string, tables: Table[]): string {
  const entities = tables.map((table) => {
    const columns = table.columns.map((column) => {
      const keys = [column.primaryKey ? 'PK' : '', column.unique ? 'UK' : ''].filter(Boolean).join(', ');
      return `    ${column.type} ${column.name}${keys ? ` ${keys}` : ''}`;
    });
    return [`  ${table.name} {`, ...columns, '  }'].join('\n');
  });
  return [`${title}`, '', '```mermaid', 'erDiagram', ...references(tables), ...entities, '```'].join('\n');
}

/** The README section: both databases as the migrations build them. */
export async function renderErd(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-erd-'));
  try {
    const sections: string[] = [];
    for (const [title, set, file] of [
      ['**auth database** (the auth-service)', authMigrations, 'auth.sqlite'],
      ['**orders database** (the gateway)', ordersMigrations, 'orders.sqlite'],
    ] as const) {
      const db = createDatabase({ client: 'sqlite', filename: path.join(dir, file), poolMax: 1 });
      try {
        await migrateToLatest(db, set);
        sections.push(diagram(title, await tablesOf(db, set)));
      } finally {
        await db.destroy();
      }
    }
    // Blank lines around the diagrams, as Prettier keeps the README.
    return [startMarker, '', sections.join('\n\n'), '', endMarker].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The section as the README has it now, markers included; undefined without markers. */
export function committedErd(readme = readFileSync(readmeFile, 'utf8')): string | undefined {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  return start === -1 || end === -1 ? undefined : readme.slice(start, end + endMarker.length);
}

async function main(): Promise<void> {
  const readme = readFileSync(readmeFile, 'utf8');
  const committed = committedErd(readme);
  if (committed === undefined) throw new Error(`README.md has no ${startMarker} … ${endMarker} section`);
  writeFileSync(readmeFile, readme.replace(committed, await renderErd()));
  console.log('README.md: entity-relationship diagrams written');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
