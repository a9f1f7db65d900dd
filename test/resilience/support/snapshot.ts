import type { Knex } from 'knex';

/** Every row of every table (migration ledgers excepted), keyed by table and id, as JSON. */
export type Snapshot = Map<string, Map<string, string>>;

export async function snapshot(db: Knex): Promise<Snapshot> {
  const tables = ((await db.raw('show tables'))[0] as Array<Record<string, string>>).map(
    (row) => Object.values(row)[0],
  );
  const result: Snapshot = new Map();
  for (const table of tables.filter((name) => !/knex_migrations/.test(name))) {
    const rows = (await db(table).select('*')) as Array<Record<string, unknown>>;
    result.set(table, new Map(rows.map((row, index) => [String(row.id ?? `#${index}`), JSON.stringify(row)])));
  }
  return result;
}

export interface RowChange {
  table: string;
  id: string;
  kind: 'added' | 'changed' | 'removed';
  row: Record<string, unknown>;
}

export function diff(before: Snapshot, after: Snapshot): RowChange[] {
  const changes: RowChange[] = [];
  for (const [table, rows] of after) {
    const old = before.get(table) ?? new Map<string, string>();
    for (const [id, json] of rows) {
      if (!old.has(id)) changes.push({ table, id, kind: 'added', row: JSON.parse(json) as Record<string, unknown> });
      else if (old.get(id) !== json)
        changes.push({ table, id, kind: 'changed', row: JSON.parse(json) as Record<string, unknown> });
    }
    for (const [id, json] of old)
      if (!rows.has(id)) changes.push({ table, id, kind: 'removed', row: JSON.parse(json) as Record<string, unknown> });
  }
  return changes;
}

/**
 * The changes no accepted request explains. A change is explained when one of the row's
 * values is a legitimate value (an id or username an accepted request produced), or
 * refers to a row that is itself explained.
 */
export function unexplained(changes: RowChange[], legitimate: Set<string>): RowChange[] {
  const known = new Set([...legitimate].map((value) => value.toLowerCase()));
  let pending = changes;
  for (;;) {
    const next = pending.filter(
      (change) => !Object.values(change.row).some((value) => value !== null && known.has(String(value).toLowerCase())),
    );
    for (const change of pending) if (!next.includes(change)) known.add(change.id.toLowerCase());
    if (next.length === pending.length) return next;
    pending = next;
  }
}
