import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { createOrder } from './support/orders-fixtures';
import { errorPaths, expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

// The validator coerces query text to numbers and compared bounds before the value was
// one: `limit=Infinity` listed every order past the 100 cap on MariaDB and was a 500 on
// SQLite, and `1e1`, `0x10`, ` 5` were read as other numbers.
describeEachDatabase('regression: integer query parameters in unusual spellings', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  before(async () => {
    system = await startSystem(database);
    user = await system.registerAndLogin();
    for (let i = 0; i < 3; i += 1) await createOrder(system, user);
  });
  after(() => system?.stop());

  const list = (query: string) =>
    system.request().get(`/orders?${query}`).set('Authorization', `Bearer ${user.accessToken}`);

  const spellings = [
    'Infinity',
    '-Infinity',
    '1e400',
    '1e1',
    '1E1',
    '0x10',
    '0o7',
    '0b1',
    '+5',
    '%2B5',
    '-0',
    '%205',
    '5%20',
    '%095',
    '2.0',
    '1_0',
    'NaN',
    '',
    '%EF%BC%95', // full-width digit five
    '%D9%A5', // Arabic-Indic digit five
    '010',
  ];
  for (const name of ['limit', 'offset']) {
    for (const spelling of spellings) {
      it(`${name}=${spelling} is 400 naming the parameter and its rule`, async () => {
        const res = await list(`${name}=${spelling}`);
        expectProblem(res, 400, 'invalid-request');
        expect(errorPaths(res)).to.deep.equal([`/query/${name}`]);
      });
    }
  }

  it('a parameter given twice is 400, whatever the values', async () => {
    for (const query of ['limit=1&limit=2', 'limit=5&limit=5', 'offset=0&offset=0', 'status=PENDING&status=SHIPPED']) {
      const res = await list(query);
      expectProblem(res, 400, 'invalid-request');
      expect(res.body.errors[0].message, query).to.equal('must be given at most once');
    }
  });

  it('reports a misspelt integer together with the other broken parameters', async () => {
    const res = await list('limit=1e1&offset=-1&orderType=purchase');
    expectProblem(res, 400, 'invalid-request');
    expect(res.body.errors).to.deep.include({
      path: '/query/limit',
      message: 'must be written in plain decimal digits, such as 10',
    });
    expect(errorPaths(res)).to.have.members(['/query/limit', '/query/offset', '/query/orderType']);
  });

  it('plain digits still page as before', async () => {
    const res = await list('limit=2&offset=1');
    expect(res.status).to.equal(200);
    expect(res.body.page).to.deep.equal({ limit: 2, offset: 1, total: 3 });
    expect(res.body.data).to.have.length(2);
    expect((await list('limit=100&offset=0')).body.data).to.have.length(3);
  });
});
