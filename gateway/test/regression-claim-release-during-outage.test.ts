import { expect } from 'chai';
import { ordersMigrations } from '../../common/src/migration-sets';
import { migrateToLatest } from '../../common/src/migrations';
import { mysqlTestDatabase, useMysqlBehindFaultProxy } from '../../common/test/mysql-behind-proxy';
import { claimKey, releaseAfterFailure } from '../src/orders/idempotency';
import { IdempotencyKeyRepository, type Claim } from '../src/orders/idempotency-keys';

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was black-holed):
 * when a create failed because the database could not be reached, the gateway waited for
 * the idempotency key's release before answering. The release waited out the same pool
 * timeout again, so the client got no answer within its deadline. The release now runs in
 * the background when the database is unreachable (the claim lapses after its lease if it
 * fails too), and is still awaited after any other failure.
 */
const mysql = mysqlTestDatabase();

(mysql ? describe : describe.skip)('regression: releasing a claim while the database is unreachable [mysql]', () => {
  const fixture = useMysqlBehindFaultProxy(mysql!);
  /** Connections in use or being waited for: the release is still under way. */
  const busy = () => {
    const pool = fixture.db.pool();
    return pool.used + pool.waiting;
  };
  const keys = () => new IdempotencyKeyRepository(fixture.db);
  const rows = (claim: Claim) => fixture.knex('idempotency_keys').where({ id: claim.rowId }).select('id');

  before(() => migrateToLatest(fixture.knex, ordersMigrations));
  afterEach(() => fixture.proxy.heal());

  async function newClaim(key: string): Promise<Claim> {
    const outcome = await claimKey(
      keys(),
      { userId: 'user-a', key, orderType: 'PURCHASE', fingerprint: 'f'.repeat(64) },
      new Date(),
      'GOLD_999',
    );
    if (outcome.kind !== 'claimed') throw new Error('expected a claim');
    return outcome.claim;
  }

  it('does not hold the answer while the release waits for a connection', async () => {
    const claim = await newClaim('outage');
    await fixture.proxy.setMode('blackhole');
    fixture.proxy.cutAll();
    const unreachable = Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
    await releaseAfterFailure(keys(), claim, unreachable);
    // Resolved while the release is still waiting on the black hole.
    expect(busy()).to.be.greaterThan(0);
    await fixture.proxy.heal();
  });

  it('gives the claim back before answering after any other failure', async () => {
    const claim = await newClaim('bug');
    await releaseAfterFailure(keys(), claim, new Error('no number today'));
    expect(await rows(claim)).to.deep.equal([]);
  });
});
