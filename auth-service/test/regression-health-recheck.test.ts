import { expect } from 'chai';
import pino from 'pino';
import { createDatabase, type Knex } from '../../common/src/database';
import { describeEachDatabase } from '../../common/test/databases';
import { DatabaseHealth } from '../src/grpc/database-health';

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describeEachDatabase('regression: auth health after a check that failed as the database came back', (database) => {
  let db: Knex;
  let health: DatabaseHealth;

  before(async () => {
    db = createDatabase(await database.create());
  });
  after(async () => {
    health?.stop();
    await db.destroy();
    await database.drop();
  });

  it('is SERVING again within a second, not after a whole check interval', async () => {
    health = new DatabaseHealth(db, 60_000, pino({ level: 'silent' }));
    await health.start();
    expect(health.status).to.equal('SERVING');

    await db.destroy();
    await health.check();
    expect(health.status).to.equal('NOT_SERVING');

    db.initialize();
    expect(await eventually(() => health.status === 'SERVING', 2000)).to.equal(true);
  });
});
