import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { bearer, listRequest, orderBody, setPrices, type Order } from './support/orders-fixtures';
import { errorPaths, expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

/** The JSON text of a create body with `quantity` written exactly as given. */
function createText(quantityText: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(orderBody({ quantity: 'QUANTITY', ...overrides })).replace('"QUANTITY"', quantityText);
}

describeEachDatabase('request text: numbers by their literal text, well-formed Unicode', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  let admin: TestAccount;
  before(async () => {
    system = await startSystem(database);
    [user, admin] = await Promise.all([system.registerAndLogin(), system.registerAndLogin('ADMIN')]);
  });
  after(() => system?.stop());

  const postText = (path: string, account: TestAccount, text: string) =>
    system
      .request()
      .post(path)
      .set('Authorization', bearer(account))
      .set('Content-Type', 'application/json')
      .send(text);
  const ordersOf = async (account: TestAccount) =>
    ((await listRequest(system, account, '/orders?limit=100')).body as { data: Order[] }).data;

  // These were accepted as 10.5, 100 and 0.01: a money value silently changed.
  const refusedNumbers = [
    '10.500',
    '1e2',
    '1E2',
    '1e+2',
    '1.5e1',
    '0.0099999999999999999',
    '10.0000000000000001',
    '-1',
    '-0',
    '-10.5',
    '1e-2',
    '100e-2',
    '123456789012345678901234567890',
    '1e400',
  ];
  for (const text of refusedNumbers) {
    it(`a quantity written ${text} is 400 and creates nothing`, async () => {
      const before = (await ordersOf(user)).length;
      const res = await postText('/orders/purchase', user, createText(text));
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.deep.equal(['/body/quantity']);
      expect((await ordersOf(user)).length).to.equal(before);
    });
  }

  it('takes plain numbers with at most two places, exactly as written', async () => {
    const stored: string[] = [];
    for (const text of ['10', '10.5', '10.50', '2.34', '0.01', '9999999.99']) {
      const res = await postText('/orders/purchase', user, createText(text));
      expect(res.status, `${text}: ${JSON.stringify(res.body)}`).to.equal(201);
      stored.push((res.body as Order).quantity);
    }
    expect(stored).to.deep.equal(['10.00', '10.50', '10.50', '2.34', '0.01', '9999999.99']);
  });

  it('judges prices the same way, on the admin route', async () => {
    const put = (text: string) =>
      system
        .request()
        .put('/products/GOLD_999/prices')
        .set('Authorization', bearer(admin))
        .set('Content-Type', 'application/json')
        .send(`{"purchasePricePerGram":${text},"salePricePerGram":"95000.00"}`);
    for (const text of ['105000.100', '1.05e5', '-105000', '105000.0000000000001']) {
      const res = await put(text);
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.deep.equal(['/body/purchasePricePerGram']);
    }
    expect((await put('105000.1')).body.purchasePricePerGram).to.equal('105000.10');
    await setPrices(system, admin, 'GOLD_999', '100000.00', '95000.00');
  });

  it('refuses decimal strings in any other spelling', async () => {
    for (const quantity of ['010', '10.500', '1e2', '+1', '-1', ' 1', '1 ', '.5', '5.', '0', '0.00', '10000000']) {
      const res = await postText('/orders/purchase', user, createText(JSON.stringify(quantity)));
      expectProblem(res, 400, 'invalid-request');
      expect(res.body.errors, quantity).to.deep.equal([
        {
          path: '/body/quantity',
          message:
            'must be a number of grams greater than 0 and at most 9999999.99, with at most two decimal places, as a JSON number or a decimal string',
        },
      ]);
    }
  });

  const refusedText: Array<[string, string]> = [
    ['an unpaired high surrogate', 'Kim\\ud800 Minji'],
    ['an unpaired low surrogate', 'Kim \\udfffMinji'],
    ['a NUL', 'Kim\\u0000Minji'],
    ['a bell', 'Kim\\u0007Minji'],
    ['a C1 control', 'Kim\\u0085Minji'],
    ['an escape sequence', '\\u001b[31mKim'],
    ['a right-to-left override', 'Kim\\u202eijniM'],
    ['a left-to-right embedding', 'Kim\\u202aMinji'],
    ['a first-strong isolate', 'Kim\\u2068Minji'],
    ['a right-to-left mark', 'Kim\\u200fMinji'],
    ['an Arabic letter mark', 'Kim\\u061cMinji'],
    ['a line separator', 'Kim\\u2028Minji'],
    ['a line feed inside', 'Kim\\nMinji'],
  ];
  for (const field of ['recipientName', 'deliveryAddress']) {
    for (const [name, escaped] of refusedText) {
      it(`${field} with ${name} is 400 and creates nothing`, async () => {
        const text = JSON.stringify(orderBody({ [field]: 'TEXT' })).replace('TEXT', escaped);
        const res = await postText('/orders/purchase', user, text);
        expectProblem(res, 400, 'invalid-request');
        expect(errorPaths(res)).to.deep.equal([`/body/${field}`]);
      });
    }
  }

  it('refuses the same characters in usernames, and an unpaired surrogate anywhere in a body', async () => {
    const register = (text: string) =>
      system.request().post('/auth/register').set('Content-Type', 'application/json').send(text);
    for (const escaped of ['user\\ud800', 'user\\u202e', 'user\\u0000']) {
      const res = await register(`{"username":"${escaped}","password":"gold-bar-2026"}`);
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.deep.equal(['/body/username']);
    }
    // The password's rules have no pattern: only the body's reading finds the surrogate, in either case of hex.
    for (const surrogate of ['\\udc00', '\\uDC00']) {
      const password = await register(`{"username":"surrogate_pw","password":"gold-bar-${surrogate}-2026"}`);
      expectProblem(password, 400, 'invalid-request');
      expect(password.body.errors).to.deep.equal([
        { path: '/body/password', message: 'must be well-formed Unicode, without an unpaired surrogate' },
      ]);
    }
  });

  it('keeps every other script, emoji and joiner exactly as sent', async () => {
    const names = ['김민지', 'محمد علي', 'Zoë Ångström', '👨‍👩‍👧 Family', 'नमस्ते', 'می‌خواهم'];
    for (const recipientName of names) {
      const res = await system
        .request()
        .post('/orders/purchase')
        .set('Authorization', bearer(user))
        .send(orderBody({ recipientName, deliveryAddress: `${recipientName} 서울특별시 강남구 테헤란로 123` }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const order = res.body as Order;
      expect(Buffer.from(order.recipientName)).to.deep.equal(Buffer.from(recipientName));
      const read = await system.request().get(`/orders/${order.id}`).set('Authorization', bearer(user));
      expect(Buffer.from((read.body as Order).recipientName)).to.deep.equal(Buffer.from(recipientName));
    }
  });
});
