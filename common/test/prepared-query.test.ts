import { expect } from 'chai';
import type { DatabaseConfig } from '../src/config';
import { createDatabase, type Knex } from '../src/database';
import { executeBatch, executePrepared, inSqlTransaction, selectPrepared } from '../src/prepared-query';
import { describeEachDatabase } from './databases';

describeEachDatabase('prepared statements', (database) => {
  let db: Knex;
  let config: DatabaseConfig;

  before(async () => {
    config = await database.create();
    db = createDatabase(config, { multipleStatements: true });
    await db.schema.createTable('things', (table) => {
      table.string('id', 36).primary();
      table.decimal('price', 20, 2).nullable();
      table.datetime('created_at', { precision: 3 }).notNullable();
    });
    // Money as text on SQLite (as the application writes it everywhere).
    await db('things').insert([
      { id: 'a', price: '1102500.00', created_at: '2026-01-31 23:10:00.000' },
      { id: 'b', price: null, created_at: '2026-02-01 00:00:00.125' },
    ]);
  });

  after(async () => {
    await db.destroy();
    await database.drop();
  });

  it('returns the same rows, with the same value types, as the query builder', async () => {
    for (const id of ['a', 'b', 'missing']) {
      const expected = await db('things').where('id', id).select('id', 'price', 'created_at');
      const rows = await selectPrepared(db, 'select id, price, created_at from things where id = ?', [id]);
      expect(rows).to.deep.equal(expected);
    }
  });

  it('binds several values and reuses the statement', async () => {
    const sql = 'select id from things where created_at >= ? order by created_at desc, id desc limit ?';
    for (let round = 0; round < 3; round++) {
      const rows = await selectPrepared<{ id: string }>(db, sql, ['2026-01-01 00:00:00.000', 1]);
      expect(rows.map((row) => row.id)).to.deep.equal(['b']);
    }
  });

  it('counts as the query builder does (a number or a numeric string, never a float)', async () => {
    const [row] = await selectPrepared<{ n: number | string }>(db, 'select count(*) as n from things', []);
    expect(Number(row.n)).to.equal(2);
  });

  it('fails with the driver error for bad SQL and gives the connection back', async () => {
    let failure: unknown;
    try {
      await selectPrepared(db, 'select nope from things', []);
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(Error);
    // The pool still hands out a connection (the failed call released its own).
    expect(await selectPrepared(db, 'select id from things where id = ?', ['a'])).to.have.length(1);
  });

  it('writes and counts the rows a statement changed', async () => {
    expect(
      await executePrepared(db, 'insert into things (id, price, created_at) values (?, ?, ?)', [
        'c',
        '10.50',
        '2026-03-01 12:00:00.000',
      ]),
    ).to.equal(1);
    expect(await executePrepared(db, 'update things set price = ? where id = ?', ['11.00', 'c'])).to.equal(1);
    expect(await executePrepared(db, 'update things set price = ? where id = ?', ['11.00', 'missing'])).to.equal(0);
    expect(await executePrepared(db, 'delete from things where id = ?', ['c'])).to.equal(1);
  });

  it("runs inside a transaction on the transaction's connection, and not after it ended", async () => {
    const trx = await db.transaction();
    await executePrepared(trx, 'insert into things (id, price, created_at) values (?, ?, ?)', [
      'd',
      '1.00',
      '2026-03-02 00:00:00.000',
    ]);
    expect(await selectPrepared(trx, 'select id from things where id = ?', ['d'])).to.have.length(1);
    await trx.rollback();
    expect(await selectPrepared(db, 'select id from things where id = ?', ['d'])).to.have.length(0);
    let failure: unknown;
    try {
      await selectPrepared(trx, 'select id from things where id = ?', ['a']);
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).message).to.contain('Transaction query already complete');
  });

  describe('executeBatch', () => {
    const insert = (id: string, price: string | null) => ({
      sql: 'insert into things (id, price, created_at) values (?, ?, ?)',
      bindings: [id, price, '2026-03-03 00:00:00.000'],
    });
    const ids = async (prefix: string) =>
      (
        await selectPrepared<{ id: string }>(db, 'select id from things where id like ? order by id', [`${prefix}%`])
      ).map((row) => row.id);

    it('runs the statements in order and gives the rows each changed', async () => {
      const changed = await inSqlTransaction(db, (trx) =>
        executeBatch(trx, [
          insert('batch-1', '1.00'),
          insert("batch-2'); delete from things; --", '2.00'),
          { sql: 'update things set price = ? where id like ?', bindings: ['3.00', 'batch-%'] },
          { sql: 'delete from things where id = ?', bindings: ['missing'] },
        ]),
      );
      expect(changed.map((outcome) => outcome.changed)).to.deep.equal([1, 1, 2, 0]);
      // Values are bound, never spliced into the SQL: the quote above stayed text.
      expect(await ids('batch-')).to.deep.equal(['batch-1', "batch-2'); delete from things; --"]);
      expect(await ids('a')).to.deep.equal(['a']);
    });

    it('stops at the first failing statement with its error; the transaction undoes the ones before', async () => {
      let failure: unknown;
      try {
        await inSqlTransaction(db, (trx) =>
          executeBatch(trx, [insert('stop-1', '1.00'), insert('a', '1.00'), insert('stop-2', '1.00')]),
        );
      } catch (error) {
        failure = error;
      }
      expect((failure as { code?: string }).code).to.be.oneOf([
        'ER_DUP_ENTRY',
        'SQLITE_CONSTRAINT_PRIMARYKEY',
        'SQLITE_CONSTRAINT_UNIQUE',
      ]);
      expect(await ids('stop-')).to.deep.equal([]);
    });

    it("sends a transaction's BEGIN with its first batch, and nothing for a transaction that wrote nothing", async () => {
      const announced: string[] = [];
      const listen = (query: { sql: string }) => announced.push(query.sql.split('\n')[0]);
      db.on('query', listen);
      try {
        await inSqlTransaction(db, async (trx) => {
          await executeBatch(trx, [insert('begin-1', '1.00')]);
          await executeBatch(trx, [insert('begin-2', '1.00')]);
        });
        await inSqlTransaction(db, async () => undefined);
      } finally {
        db.off('query', listen);
      }
      const sql = 'insert into things (id, price, created_at) values (?, ?, ?)';
      expect(announced).to.deep.equal(
        database.kind === 'mysql' ? ['BEGIN;', sql, 'COMMIT'] : ['BEGIN', sql, sql, 'COMMIT'],
      );
      expect(await ids('begin-')).to.deep.equal(['begin-1', 'begin-2']);
    });

    it('reads rows in a batch, with the same values as a prepared read', async () => {
      const outcomes = await executeBatch(db, [
        insert('read-1', '7.25'),
        { sql: 'select id, price, created_at from things where id like ? order by id', bindings: ['read-%'] },
        { sql: 'select id, price, created_at from things where id = ?', bindings: ['b'] },
      ]);
      expect(outcomes.map((outcome) => outcome.changed)).to.deep.equal([1, 0, 0]);
      expect(outcomes[1].rows).to.deep.equal(
        await selectPrepared(db, 'select id, price, created_at from things where id like ? order by id', ['read-%']),
      );
      expect(outcomes[2].rows).to.deep.equal([{ id: 'b', price: null, created_at: '2026-02-01 00:00:00.125' }]);
    });

    it("commits with a transaction's last batch, in the same round trip, only when every statement succeeded", async () => {
      const announced: string[] = [];
      const listen = (query: { sql: string }) => announced.push(query.sql);
      db.on('query', listen);
      try {
        await inSqlTransaction(db, async (trx) => {
          await executeBatch(trx, [insert('commit-1', '1.00')]);
          await executeBatch(trx, [insert('commit-2', '1.00')], { commit: true });
          expect(trx.isCompleted).to.equal(true);
        });
        let failure: unknown;
        await inSqlTransaction(db, (trx) =>
          executeBatch(trx, [insert('commit-3', '1.00'), insert('a', '1.00')], { commit: true }),
        ).catch((error: unknown) => (failure = error));
        expect(failure).to.be.instanceOf(Error);
      } finally {
        db.off('query', listen);
      }
      const sql = 'insert into things (id, price, created_at) values (?, ?, ?)';
      expect(announced).to.deep.equal(
        database.kind === 'mysql'
          ? [`BEGIN;\n${sql}`, `${sql};\nCOMMIT`, `BEGIN;\n${sql};\n${sql};\nCOMMIT`, 'ROLLBACK']
          : ['BEGIN', sql, sql, 'COMMIT', 'BEGIN', `${sql};\n${sql}`, 'ROLLBACK'],
      );
      expect(await ids('commit-')).to.deep.equal(['commit-1', 'commit-2']);
    });

    it('commits only transactions of inSqlTransaction', async () => {
      const trx = await db.transaction();
      try {
        expect(() => executeBatch(trx, [insert('knex-1', '1.00')], { commit: true })).to.throw('commits only');
      } finally {
        await trx.rollback();
      }
    });

    it('needs a MySQL connection that allows several statements per query', async function () {
      if (database.kind !== 'mysql') this.skip();
      const plain = createDatabase(config);
      try {
        let failure: unknown;
        try {
          await executeBatch(plain, [insert('plain-1', '1.00'), insert('plain-2', '1.00')]);
        } catch (error) {
          failure = error;
        }
        expect((failure as Error).message).to.contain('allows multiple statements');
        expect(await ids('plain-')).to.deep.equal([]);
      } finally {
        await plain.destroy();
      }
    });
  });
});
