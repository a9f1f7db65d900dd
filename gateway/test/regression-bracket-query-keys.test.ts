import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

// Query keys such as `[` or `a=b[` slipped past the unknown-parameter check and were
// silently ignored (200) instead of refused like any other unknown parameter.
describeEachDatabase('regression: query keys written with brackets', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  before(async () => {
    system = await startSystem(database);
    user = await system.registerAndLogin();
  });
  after(() => system?.stop());

  for (const query of ['%5B=1', '[=1', 'a%3Db%5B=1', 'limit[=1', 'a]=1', 'status[0]=PENDING']) {
    it(`refuses /orders?${query} as an unknown parameter (400 problem details)`, async () => {
      const response = await system
        .request()
        .get(`/orders?${query}`)
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(response.status).to.equal(400);
      expect(response.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(response.body.type).to.equal('https://aletheia.gold/problems/invalid-request');
    });
  }

  it('still answers the documented parameters', async () => {
    const response = await system
      .request()
      .get('/orders?limit=5&offset=0')
      .set('Authorization', `Bearer ${user.accessToken}`);
    expect(response.status).to.equal(200);
  });
});
