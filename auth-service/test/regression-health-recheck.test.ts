import { expect } from 'chai';
import pino from 'pino';
import { describeEachDatabase } from '../../common/test/databases';
import { DatabaseHealth } from '../src/grpc/database-health';
import { SwitchableDatabase } from './support/switchable-database';

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describeEachDatabase('regression: auth health after a check that failed as the database came back', (database) => {
  let db: SwitchableDatabase;
  let health: DatabaseHealth;

  before(async () => {
    db = new SwitchableDatabase(await database.create());
  });
  after(async () => {
    health?.stop();
    await db.close();
    await database.drop();
  });

  it('is SERVING again within a second, not after a whole check interval', async () => {
    health = new DatabaseHealth(db, 60_000, pino({ level: 'silent' }));
    await health.start();
    expect(health.status).to.equal('SERVING');

    await db.goDown();
    await health.check();
    expect(health.status).to.equal('NOT_SERVING');

    db.comeBack();
    expect(await eventually(() => health.status === 'SERVING', 2000)).to.equal(true);
  });
});
