import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { bearer, setPrices, type Product } from './support/orders-fixtures';
import { expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

describeEachDatabase('products', (database) => {
  let system: TestSystem;
  let admin: TestAccount;
  let user: TestAccount;
  before(async () => {
    system = await startSystem(database);
    [admin, user] = await Promise.all([system.registerAndLogin('ADMIN'), system.registerAndLogin()]);
  });
  after(() => system?.stop());

  const putPrices = (account: TestAccount | undefined, productType: string, body: unknown) => {
    const request = system.request().put(`/products/${productType}/prices`);
    if (account) request.set('Authorization', bearer(account));
    return request.send(body as object);
  };

  it('lists the seeded products to anyone, sorted by product type', async () => {
    const res = await system.request().get('/products');
    expect(res.status).to.equal(200);
    const products = res.body.data as Product[];
    expect(products.map((p) => [p.productType, p.purchasePricePerGram, p.salePricePerGram, p.currency])).to.deep.equal([
      ['GOLD_999', '193000.00', '176000.00', 'KRW'],
      ['GOLD_9999', '195000.00', '178000.00', 'KRW'],
    ]);
    for (const product of products) expect(Date.parse(product.updatedAt)).to.be.a('number').and.not.NaN;
  });

  it('lets an ADMIN set prices from numbers or strings, answering the product with a new updatedAt', async () => {
    const before = ((await system.request().get('/products')).body.data as Product[])[1];
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await setPrices(system, admin, 'GOLD_9999', 105000.1, '98000');
    expect(updated).to.include({
      productType: 'GOLD_9999',
      purchasePricePerGram: '105000.10',
      salePricePerGram: '98000.00',
      currency: 'KRW',
    });
    expect(Date.parse(updated.updatedAt)).to.be.greaterThan(Date.parse(before.updatedAt));
    const listed = (await system.request().get('/products')).body.data as Product[];
    expect(listed[1]).to.deep.equal(updated);
    expect(listed[0].productType).to.equal('GOLD_999');
    const extremes = await setPrices(system, admin, 'GOLD_999', '99999999.99', 0.01);
    expect([extremes.purchasePricePerGram, extremes.salePricePerGram]).to.deep.equal(['99999999.99', '0.01']);
  });

  it('is 403 for a USER and 401 without a token, and changes nothing', async () => {
    const before = (await system.request().get('/products')).body;
    expectProblem(
      await putPrices(user, 'GOLD_999', { purchasePricePerGram: '1.00', salePricePerGram: '1.00' }),
      403,
      'forbidden',
    );
    expectProblem(
      await putPrices(undefined, 'GOLD_999', { purchasePricePerGram: '1.00', salePricePerGram: '1.00' }),
      401,
      'unauthenticated',
    );
    expect((await system.request().get('/products')).body).to.deep.equal(before);
  });

  describe('refuses prices that break the contract (400)', () => {
    const cases: Array<[string, string, unknown]> = [
      ['zero', 'GOLD_999', { purchasePricePerGram: 0, salePricePerGram: '1.00' }],
      ['zero as a string', 'GOLD_999', { purchasePricePerGram: '1.00', salePricePerGram: '0.00' }],
      ['a negative price', 'GOLD_999', { purchasePricePerGram: -5, salePricePerGram: '1.00' }],
      ['three decimal places', 'GOLD_999', { purchasePricePerGram: '1.234', salePricePerGram: '1.00' }],
      ['more than 99999999.99', 'GOLD_999', { purchasePricePerGram: '100000000.00', salePricePerGram: '1.00' }],
      ['an exponent', 'GOLD_999', { purchasePricePerGram: '1e5', salePricePerGram: '1.00' }],
      ['a missing price', 'GOLD_999', { purchasePricePerGram: '1.00' }],
      ['an unknown field', 'GOLD_999', { purchasePricePerGram: '1.00', salePricePerGram: '1.00', currency: 'USD' }],
      ['an unknown product type', 'GOLD_24K', { purchasePricePerGram: '1.00', salePricePerGram: '1.00' }],
    ];
    for (const [name, productType, body] of cases) {
      it(name, async () => {
        expectProblem(await putPrices(admin, productType, body), 400, 'invalid-request');
      });
    }
  });
});
