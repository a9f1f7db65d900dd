import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { DatabaseConfig } from '../src/config';
import { createDatabase } from '../src/database';
import { errorCode, isDatabaseUnavailable, isTransactionConflict, isUniqueViolation } from '../src/database-errors';
import {
  maxTransactionAttempts,
  openSqlDatabase,
  sqlChannelName,
  type SqlDatabase,
  type Statement,
} from '../src/sql/database';
import { describeEachDatabase } from './databases';
import { freePort } from './ports';
import { FaultProxy } from '../../test/resilience/support/fault-proxy';

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The SQL of every round trip `run` makes. */
async function roundTrips(run: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const listen = (message: unknown) => {
    if (typeof message === 'object' && message !== null && 'sql' in message) sent.push(String(message.sql));
  };
  subscribe(sqlChannelName, listen);
  try {
    await run();
  } finally {
    unsubscribe(sqlChannelName, listen);
  }
  return sent;
}

describeEachDatabase('data access (common/src/sql)', (database) => {
  let config: DatabaseConfig;
  /** The schema's Knex, as the migrations use it: what the rows must look like. */
  let knex: Knex;
  let db: SqlDatabase;

  before(async () => {
    config = await database.create();
    knex = createDatabase(config);
    await knex.schema.createTable('things', (table) => {
      table.string('id', 36).primary();
      table.decimal('price', 20, 2).nullable();
      table.datetime('created_at', { precision: 3 }).notNullable();
    });
    // Money as text on SQLite (as the application writes it everywhere).
    await knex('things').insert([
      { id: 'a', price: '1102500.00', created_at: '2026-01-31 23:10:00.000' },
      { id: 'b', price: null, created_at: '2026-02-01 00:00:00.125' },
    ]);
    db = openSqlDatabase(config, { batches: true });
  });

  after(async () => {
    await db?.close();
    await knex?.destroy();
    await database.drop();
  });

  const insert = (id: string, price: string | null): Statement => ({
    sql: 'insert into things (id, price, created_at) values (?, ?, ?)',
    params: [id, price, '2026-03-03 00:00:00.000'],
  });
  const ids = async (prefix: string) =>
    (await db.query('select id from things where id like ? order by id', [`${prefix}%`])).map((row) => row.id);

  it('returns the same rows, with the same value types, as the schema’s Knex', async () => {
    for (const id of ['a', 'b', 'missing']) {
      const expected = await knex('things').where('id', id).select('id', 'price', 'created_at');
      const rows = await db.query('select id, price, created_at from things where id = ?', [id]);
      expect(rows.map((row) => ({ ...row }))).to.deep.equal(expected);
    }
  });

  it('binds several values and reuses the statement', async () => {
    const sql = 'select id from things where created_at >= ? order by created_at desc, id desc limit ?';
    for (let round = 0; round < 3; round++) {
      const rows = await db.query(sql, ['2026-01-01 00:00:00.000', 1]);
      expect(rows.map((row) => row.id)).to.deep.equal(['b']);
    }
  });

  it('counts as a number or a numeric string, never a float', async () => {
    const [row] = await db.query('select count(*) as n from things', []);
    expect(Number(row.n)).to.equal(2);
  });

  it('fails with the driver error for bad SQL and gives the connection back', async () => {
    expect(await failureOf(db.query('select nope from things', []))).to.be.instanceOf(Error);
    expect(await db.query('select id from things where id = ?', ['a'])).to.have.length(1);
  });

  it('writes and counts the rows a statement changed', async () => {
    expect(await db.execute(insert('c', '10.50').sql, insert('c', '10.50').params)).to.equal(1);
    expect(await db.execute('update things set price = ? where id = ?', ['11.00', 'c'])).to.equal(1);
    expect(await db.execute('update things set price = ? where id = ?', ['11.00', 'missing'])).to.equal(0);
    expect(await db.execute('delete from things where id = ?', ['c'])).to.equal(1);
  });

  it('keeps a transaction’s statements on its connection and refuses them after it ended', async () => {
    let escaped: Parameters<Parameters<SqlDatabase['transaction']>[0]>[0] | undefined;
    const failure = await failureOf(
      db.transaction(async (tx) => {
        escaped = tx;
        await tx.execute(insert('d', '1.00').sql, insert('d', '1.00').params);
        expect(await tx.query('select id from things where id = ?', ['d'])).to.have.length(1);
        throw new Error('undo');
      }),
    );
    expect((failure as Error).message).to.equal('undo');
    expect(await ids('d')).to.deep.equal([]);
    expect(await failureOf(escaped!.query('select 1', []))).to.have.property('name', 'TransactionEndedError');
  });

  describe('batch', () => {
    it('runs the statements in order and gives the rows each changed; values are bound, never spliced', async () => {
      const changed = await db.transaction((tx) =>
        tx.batch([
          insert('batch-1', '1.00'),
          insert("batch-2'); delete from things; --", '2.00'),
          { sql: 'update things set price = ? where id like ?', params: ['3.00', 'batch-%'] },
          { sql: 'delete from things where id = ?', params: ['missing'] },
        ]),
      );
      expect(changed.map((outcome) => outcome.changed)).to.deep.equal([1, 1, 2, 0]);
      expect(await ids('batch-')).to.deep.equal(['batch-1', "batch-2'); delete from things; --"]);
      expect(await ids('a')).to.deep.equal(['a']);
    });

    it('stops at the first failing statement with its error; the transaction undoes the ones before', async () => {
      const failure = await failureOf(
        db.transaction((tx) => tx.batch([insert('stop-1', '1.00'), insert('a', '1.00'), insert('stop-2', '1.00')])),
      );
      expect(isUniqueViolation(failure)).to.equal(true);
      expect(await ids('stop-')).to.deep.equal([]);
    });

    it('reads rows in a batch with the same values as a prepared read', async () => {
      const outcomes = await db.batch([
        insert('read-1', '7.25'),
        { sql: 'select id, price, created_at from things where id like ? order by id', params: ['read-%'] },
        { sql: 'select id, price, created_at from things where id = ?', params: ['b'] },
      ]);
      expect(outcomes.map((outcome) => outcome.changed)).to.deep.equal([1, 0, 0]);
      const prepared = await db.query('select id, price, created_at from things where id like ? order by id', [
        'read-%',
      ]);
      expect(outcomes[1].rows.map((row) => ({ ...row }))).to.deep.equal(prepared.map((row) => ({ ...row })));
      expect({ ...outcomes[2].rows[0] }).to.deep.equal({ id: 'b', price: null, created_at: '2026-02-01 00:00:00.125' });
    });

    it("sends a transaction's BEGIN with its first batch and its COMMIT with commitWith; nothing for an empty one", async () => {
      const sent = await roundTrips(async () => {
        await db.transaction(async (tx) => {
          await tx.batch([insert('commit-1', '1.00')]);
          await tx.commitWith([insert('commit-2', '1.00')]);
          expect(await failureOf(tx.query('select 1', []))).to.have.property('name', 'TransactionEndedError');
        });
        await db.transaction(async () => undefined);
      });
      const sql = insert('x', null).sql;
      expect(sent).to.deep.equal(
        database.kind === 'mysql' ? [`BEGIN;\n${sql}`, `${sql};\nCOMMIT`] : ['BEGIN', sql, sql, 'COMMIT'],
      );
      expect(await ids('commit-')).to.deep.equal(['commit-1', 'commit-2']);
    });

    it('commits with the last batch only when every statement succeeded', async () => {
      const failure = await failureOf(
        db.transaction((tx) => tx.commitWith([insert('last-1', '1.00'), insert('a', '1.00')])),
      );
      expect(isUniqueViolation(failure)).to.equal(true);
      expect(await ids('last-')).to.deep.equal([]);
    });
  });

  it('sends several statements at once only on the connections opened for batches', async function () {
    if (database.kind !== 'mysql') this.skip();
    // A single statement is prepared on a connection that refuses multi-statement queries.
    expect(await failureOf(db.query('select 1; select 2', []))).to.be.instanceOf(Error);
    const plain = openSqlDatabase(config);
    try {
      const sent = await roundTrips(() => plain.batch([insert('plain-1', '1.00'), insert('plain-2', '1.00')]));
      expect(sent).to.have.length(2);
      expect(await ids('plain-')).to.deep.equal(['plain-1', 'plain-2']);
    } finally {
      await plain.close();
    }
  });

  it('runs a transaction the database aborted as a conflict again from the start', async function () {
    if (database.kind !== 'mysql') this.skip();
    await db.batch([insert('lock-1', '1.00'), insert('lock-2', '1.00')]);
    let attempts = 0;
    let bothHold!: () => void;
    const held = new Promise<void>((resolve) => (bothHold = resolve));
    let first = 0;
    // Two transactions lock the rows in opposite orders: InnoDB aborts one as a deadlock victim.
    const lockInOrder = (ids: [string, string]) =>
      db.transaction(async (tx) => {
        attempts += 1;
        await tx.execute('update things set price = price + 1 where id = ?', [ids[0]]);
        first += 1;
        if (first === 2) bothHold();
        await held;
        await tx.execute('update things set price = price + 1 where id = ?', [ids[1]]);
      });
    await Promise.all([lockInOrder(['lock-1', 'lock-2']), lockInOrder(['lock-2', 'lock-1'])]);
    expect(attempts, 'one transaction ran twice').to.equal(3);
    const prices = await db.query("select price from things where id like 'lock-%' order by id", []);
    expect(prices.map((row) => row.price)).to.deep.equal(['3.00', '3.00']);
    expect(isTransactionConflict(Object.assign(new Error('Deadlock found'), { errno: 1213 }))).to.equal(true);
    expect(isTransactionConflict(Object.assign(new Error('certification failed'), { sqlState: '40001' }))).to.equal(
      true,
    );
  });

  it('gives up after the last attempt with a conflict error answered as unavailable, and counts both outcomes', async function () {
    if (database.kind !== 'mysql') this.skip();
    // The error a certification failure answers with, raised by the server itself.
    const certificationFailure: Statement = {
      sql: "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'certification failed'",
      params: [],
    };
    const before = db.conflicts();
    let attempts = 0;
    const failure = await failureOf(
      db.transaction(async (tx) => {
        attempts += 1;
        await tx.batch([insert(`conflict-${attempts}`, '1.00'), certificationFailure]);
      }),
    );
    expect(attempts).to.equal(maxTransactionAttempts);
    expect(errorCode(failure)).to.equal('ERR_TRANSACTION_CONFLICT');
    // Still a conflict for whoever maps it (a 503, or UNAVAILABLE with a short Retry-After).
    expect(isTransactionConflict(failure)).to.equal(true);
    expect(isDatabaseUnavailable(failure)).to.equal(true);
    expect(await ids('conflict-')).to.deep.equal([]);
    let runs = 0;
    await db.transaction(async (tx) => {
      runs += 1;
      await tx.batch(runs === 1 ? [certificationFailure] : [insert('conflict-once', '1.00')]);
    });
    expect(await ids('conflict-')).to.deep.equal(['conflict-once']);
    const after = db.conflicts();
    // Four retries of the first, one of the second.
    expect(after.retried - before.retried).to.equal(maxTransactionAttempts);
    expect(after.gaveUp - before.gaveUp).to.equal(1);
  });

  it('takes connections from the next server of the list when the first does not answer (the pools, also while in use; Knex when it opens)', async function () {
    if (config.client !== 'mysql') this.skip();
    const down = { host: '127.0.0.1', port: await freePort() };
    const listed = openSqlDatabase({ ...config, hosts: [down, ...config.hosts] }, { batches: true });
    try {
      expect(await listed.query('select 1 as n', [])).to.deep.equal([{ n: 1 }]);
      expect(await listed.transaction((tx) => tx.batch([{ sql: 'select 2 as n', params: [] }]))).to.have.length(1);
    } finally {
      await listed.close();
    }
    const migrations = createDatabase({ ...config, hosts: [down, ...config.hosts] });
    try {
      expect(await migrations.raw('select 1 as n')).to.have.nested.property('[0][0].n', 1);
    } finally {
      await migrations.destroy();
    }
    // A server that goes away while in use: new connections go to the next one.
    const proxy = await FaultProxy.start(config.hosts[0]);
    const moving = { ...config, hosts: [{ host: '127.0.0.1', port: proxy.port }, ...config.hosts] };
    const pools = openSqlDatabase(moving, { batches: true });
    try {
      expect(await pools.query('select 1 as n', [])).to.deep.equal([{ n: 1 }]);
      await proxy.stop();
      // A connection open when its server went away may fail the one call that holds it.
      await failureOf(pools.query('select 1', []));
      expect(await pools.query('select 1 as n', [])).to.deep.equal([{ n: 1 }]);
      expect(await pools.transaction((tx) => tx.batch([{ sql: 'select 2 as n', params: [] }]))).to.have.length(1);
    } finally {
      await pools.close();
      await proxy.stop();
    }
    const nowhere = openSqlDatabase({ ...config, hosts: [down, down] });
    try {
      expect(isDatabaseUnavailable(await failureOf(nowhere.query('select 1', [])))).to.equal(true);
    } finally {
      await nowhere.close();
    }
  });

  it('answers as unavailable when no connection comes free in time, and recovers', async () => {
    const small = openSqlDatabase({ ...config, poolMax: 1, acquireTimeoutMs: 200 });
    try {
      let release = () => {};
      let holder: Promise<void> | undefined;
      await new Promise<void>((held) => {
        holder = small.transaction(
          () =>
            new Promise<void>((done) => {
              release = done;
              held();
            }),
        );
      });
      const waiting = failureOf(small.transaction((tx) => tx.query('select 1', [])));
      const timedOut = await waiting;
      expect(isDatabaseUnavailable(timedOut), String(timedOut)).to.equal(true);
      release();
      await holder;
      expect(await small.transaction((tx) => tx.query('select 1 as n', []))).to.have.length(1);
    } finally {
      await small.close();
    }
  });

  it('refuses work once closed, as the database being unavailable', async () => {
    const closing = openSqlDatabase(config);
    expect(await closing.ping()).to.equal(true);
    await closing.close();
    expect(isDatabaseUnavailable(await failureOf(closing.query('select 1', [])))).to.equal(true);
    expect(await closing.ping()).to.equal(false);
  });
});
