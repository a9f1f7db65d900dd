import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import { authMigrations } from '../../common/src/migration-sets';
import { migrate } from '../../common/src/migrations';
import { openSqlDatabase } from '../../common/src/sql/database';
import { sqlChannelName, type SqlDatabase } from '../../common/src/sql/types';
import { describeEachDatabase } from '../../common/test/databases';
import { LoginCounters } from '../src/users/login-counters';

/**
 * A flood of first failures of one client on one name: each finds no counter row, makes
 * it and counts. Made in one transaction with the update that found no row, the gap locks
 * of the parallel ones deadlocked (rolled back and run again, until under a flood a login
 * ran out of retries and answered UNAVAILABLE).
 */
describeEachDatabase('regression: parallel first failures of one client on one name', (database) => {
  let db: SqlDatabase;

  before(async () => {
    const config = await database.create();
    await migrate(config, authMigrations);
    db = openSqlDatabase(config);
  });
  after(async () => {
    await db?.close();
    await database.drop();
  });

  it('counts every one of them, none failing or rolled back', async () => {
    const counters = new LoginCounters(db);
    let rollbacks = 0;
    const seen = (message: unknown) => {
      if (message instanceof Object && Reflect.get(message, 'sql') === 'ROLLBACK') rollbacks += 1;
    };
    subscribe(sqlChannelName, seen);
    try {
      for (let name = 0; name < 5; name++) {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 30 }, () =>
            counters.recordFailure(`flood_${name}`, '192.0.2.1', 1000, 60_000, new Date()),
          ),
        );
        expect(outcomes.filter((outcome) => outcome.status === 'rejected')).to.deep.equal([]);
        const [row] = await db.query('select consecutive_failures from login_clients where username_normalized = ?', [
          `flood_${name}`,
        ]);
        expect(Number(row?.consecutive_failures)).to.equal(30);
      }
    } finally {
      unsubscribe(sqlChannelName, seen);
    }
    expect(rollbacks, 'transactions rolled back').to.equal(0);
  });
});
