import { randomBytes } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { IndependentValidator, type RequestToJudge } from './support/independent-validator';
import { orderBody } from './support/orders-fixtures';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

type Json = Record<string, unknown>;

/** One example of the suite: a request as sent, which the contract accepts or refuses. */
interface Example extends RequestToJudge {
  name: string;
  /** Which token it carries: the USER's access token (default where needed), the ADMIN's, or none. */
  as?: 'admin' | 'none';
}

const templates: Record<string, [string, string]> = {
  register: ['POST', '/auth/register'],
  login: ['POST', '/auth/login'],
  refresh: ['POST', '/auth/refresh'],
  logout: ['POST', '/auth/logout'],
  listOrders: ['GET', '/orders'],
  createPurchaseOrder: ['POST', '/orders/purchase'],
  createSaleOrder: ['POST', '/orders/sale'],
  getOrder: ['GET', '/orders/{orderId}'],
  cancelOrder: ['DELETE', '/orders/{orderId}'],
  changeOrderStatus: ['PATCH', '/orders/{orderId}/status'],
  listProducts: ['GET', '/products'],
  updateProductPrices: ['PUT', '/products/{productType}/prices'],
};

const uniqueName = () => `v_${randomBytes(5).toString('hex')}`;

/** A create body's JSON text with one member written exactly as given. */
function createWith(field: string, jsonText: string): string {
  return JSON.stringify(orderBody({ [field]: 'MARK' })).replace('"MARK"', jsonText);
}

/**
 * The suite's examples: each kind of value every request part takes, valid and
 * invalid, including the spellings JSON Schema cannot see (number text, repeated and
 * misspelt parameters, unpaired surrogates). `ORDER` stands for an order of the USER,
 * `REFRESH` for a fresh refresh token, `NAME` for a fresh username.
 */
function suiteExamples(): Example[] {
  const examples: Example[] = [];
  const add = (name: string, request: Omit<Example, 'name'>) => examples.push({ name, ...request });

  for (const [field, values] of Object.entries({
    quantity: [
      '10',
      '10.5',
      '10.50',
      '"10"',
      '"10.50"',
      '0.01',
      '"0.01"',
      '9999999.99',
      '"9999999.99"',
      '10.500',
      '1e2',
      '1E2',
      '-1',
      '-0',
      '0',
      '0.00',
      '"0"',
      '0.0099999999999999999',
      '10000000',
      '"10000000"',
      '"10.500"',
      '"1e2"',
      '"010"',
      '"+1"',
      '" 1"',
      '".5"',
      '"5."',
      '10.123',
      '"10.123"',
      'null',
      'true',
      '[]',
      '{}',
      '"ten"',
      '1e400',
      '123456789012345678901234567890',
    ],
    productType: ['"GOLD_999"', '"GOLD_9999"', '"gold_999"', '"GOLD_99"', '1', 'null'],
    deliveryAddress: [
      '"1 Sejong-daero, Seoul"',
      '"  padded  "',
      '"서울특별시 강남구 테헤란로 123"',
      '""',
      '"   "',
      `"${'a'.repeat(255)}"`,
      `"${'a'.repeat(256)}"`,
      `" ${'a'.repeat(255)} "`,
      '"a\\u0000b"',
      '"a\\u202eb"',
      '"a\\ud800b"',
      '"a\\u2028b"',
      '"a\\nb"',
      '"\\ud83d\\ude00 emoji"',
      '"\\u200d joiner"',
      '1',
    ],
    recipientName: [
      '"Kim Minji"',
      '"김민지"',
      `"${'가'.repeat(50)}"`,
      `"${'가'.repeat(51)}"`,
      '""',
      '"\\t"',
      '"Kim\\u200fMinji"',
      '"Kim\\u0085"',
      '"Kim\\udfff"',
      '"\\u2066Kim"',
    ],
    contactNumber: [
      '"+82 10-1234-5678"',
      '"02-120-1234"',
      '"(02) 120 1234"',
      '"1234567"',
      '"123456"',
      '"+123456"',
      '"+1234567"',
      `"${'1'.repeat(20)}"`,
      `"${'1'.repeat(21)}"`,
      '"12-34-56-"',
      '"phone 1234567"',
      '"+82+10"',
      '" 0212345678 "',
    ],
    postalCode: ['"06234"', '"SW1A-1AA"', '"AB"', '"ABC"', '"ABCDEFGHIJK"', '"062 34"', '" 06234 "', '"０６２３４"'],
  })) {
    for (const text of values)
      add(`create ${field}=${text.slice(0, 40)}`, {
        operationId: 'createPurchaseOrder',
        body: createWith(field, text),
      });
  }
  const create = JSON.stringify(orderBody());
  add('create with an unknown field', {
    operationId: 'createSaleOrder',
    body: createWith('userId', '"x"').replace('"userId":"x"', '"productType":"GOLD_999","userId":"x"'),
  });
  add('create without a field', {
    operationId: 'createSaleOrder',
    body: JSON.stringify({ ...orderBody(), postalCode: undefined }),
  });
  add('create with a member named twice, different values', {
    operationId: 'createSaleOrder',
    body: `${create.slice(0, -1)},"postalCode":"99999"}`,
  });
  add('create with a member named twice, same value', {
    operationId: 'createSaleOrder',
    body: `${create.slice(0, -1)},"postalCode":"06234"}`,
  });
  add('create as a JSON array', { operationId: 'createSaleOrder', body: `[${create}]` });
  add('create, not JSON', { operationId: 'createSaleOrder', body: '{"productType":' });
  add('create, empty', { operationId: 'createSaleOrder', body: '' });
  add('create, invalid UTF-8', {
    operationId: 'createSaleOrder',
    body: Buffer.concat([Buffer.from(create.slice(0, -2)), Buffer.from([0xff]), Buffer.from('"}')]),
  });
  for (const key of ['key-1', 'a', 'x'.repeat(255), 'x'.repeat(256), 'has space', 'ключ'.replace(/./g, 'k'), '']) {
    add(`create with Idempotency-Key ${JSON.stringify(key.slice(0, 12))}`, {
      operationId: 'createPurchaseOrder',
      body: create,
      headers: { 'Idempotency-Key': key === 'key-1' ? `key-${uniqueName()}` : key },
    });
  }

  for (const query of [
    '',
    'limit=10',
    'limit=1',
    'limit=100',
    'limit=0',
    'limit=101',
    'limit=1e1',
    'limit=0x10',
    'limit=%2B5',
    'limit=+5',
    'limit=%205',
    'limit=Infinity',
    'limit=2.0',
    'limit=010',
    'limit=',
    'limit=-1',
    'offset=0',
    'offset=1000000',
    'offset=1000001',
    'offset=-0',
    'offset=1e400',
    'limit=1&limit=2',
    'limit=5&limit=5',
    'date=2026-01-31',
    'date=2026-02-30',
    'date=2026-1-1',
    'date=20260131',
    'date=',
    'orderType=PURCHASE',
    'orderType=purchase',
    'status=PENDING',
    'status=CANCELLED',
    'status=pending',
    'status=PENDING&status=SHIPPED',
    'bogus=1',
    'limit=5&offset=5&orderType=SALE&status=PENDING&date=2026-01-31',
  ]) {
    add(`list ?${query}`, { operationId: 'listOrders', query });
  }
  for (const orderId of [
    'ORDER',
    '0193b2c4-6f1e-7a3b-9c2d-4e5f6a7b8c9d',
    'not-a-uuid',
    '0193B2C4-6F1E-7A3B-9C2D-4E5F6A7B8C9D',
    '0193b2c46f1e7a3b9c2d4e5f6a7b8c9d',
  ]) {
    add(`read order ${orderId}`, { operationId: 'getOrder', pathValues: { orderId } });
  }
  for (const status of ['"ORDER_COMPLETED"', '"CANCELLED"', '"order_completed"', '"SHIPPED"', '1', 'null']) {
    add(`change status to ${status}`, {
      operationId: 'changeOrderStatus',
      pathValues: { orderId: 'ORDER' },
      body: `{"status":${status}}`,
    });
  }
  add('change status with an extra field', {
    operationId: 'changeOrderStatus',
    pathValues: { orderId: 'ORDER' },
    body: '{"status":"ORDER_COMPLETED","by":"me"}',
  });
  add('cancel an order', { operationId: 'cancelOrder', pathValues: { orderId: 'ORDER' } });
  add('cancel a malformed id', { operationId: 'cancelOrder', pathValues: { orderId: 'ORDER-1' } });

  for (const [purchase, sale] of [
    ['"105000.10"', '98000'],
    ['105000.1', '"98000.00"'],
    ['99999999.99', '1'],
    ['100000000', '1'],
    ['105000.100', '1'],
    ['1.05e5', '1'],
    ['-1', '1'],
    ['0', '1'],
    ['"105000.1000"', '1'],
    ['"0.01"', '"0.1"'],
  ]) {
    add(`prices ${purchase} / ${sale}`, {
      operationId: 'updateProductPrices',
      as: 'admin',
      pathValues: { productType: 'GOLD_9999' },
      body: `{"purchasePricePerGram":${purchase},"salePricePerGram":${sale}}`,
    });
  }
  add('prices of an unknown product', {
    operationId: 'updateProductPrices',
    as: 'admin',
    pathValues: { productType: 'GOLD_1' },
    body: '{"purchasePricePerGram":1,"salePricePerGram":1}',
  });

  for (const [username, password] of [
    ['NAME', 'gold-bar-2026'],
    ['abc', 'gold-bar-2026'],
    ['a'.repeat(21), 'gold-bar-2026'],
    ['has space', 'gold-bar-2026'],
    ['NAME', 'short'],
    ['NAME', 'x'.repeat(73)],
    ['üser_name', 'gold-bar-2026'],
    ['NAME\\u202e', 'gold-bar-2026'],
    ['NAME', 'gold-\\ud800-2026'],
  ]) {
    const body = `{"username":"${username}","password":"${password}"}`;
    add(`register ${username.slice(0, 12)} / ${password.slice(0, 12)}`, { operationId: 'register', as: 'none', body });
    add(`login ${username.slice(0, 12)} / ${password.slice(0, 12)}`, { operationId: 'login', as: 'none', body });
  }
  add('register with a third member', {
    operationId: 'register',
    as: 'none',
    body: '{"username":"NAME","password":"gold-bar-2026","role":"ADMIN"}',
  });
  for (const body of [
    '{"refreshToken":"REFRESH"}',
    '{"refreshToken":""}',
    '{"refreshToken":1}',
    '{}',
    '{"refreshToken":"REFRESH","extra":1}',
    '{"refresh_token":"REFRESH"}',
  ]) {
    add(`refresh ${body}`, { operationId: 'refresh', as: 'none', body });
  }
  add('list products', { operationId: 'listProducts', as: 'none' });
  add('list products ?verbose=1', { operationId: 'listProducts', as: 'none', query: 'verbose=1' });
  return examples;
}

/** The examples openapi.yaml itself gives (what Swagger UI pre-fills for "Try it out"). */
function contractExamples(spec: Json): Example[] {
  const examples: Example[] = [];
  const follow = (node: Json): Json =>
    typeof node?.$ref === 'string'
      ? follow(
          node.$ref
            .slice(2)
            .split('/')
            .reduce<Json>((at, key) => at[key] as Json, spec),
        )
      : node;
  for (const item of Object.values(spec.paths as Record<string, Json>)) {
    for (const operation of Object.values(item) as Json[]) {
      const id = operation?.operationId as string | undefined;
      if (!id || !templates[id]) continue;
      const media = (follow(operation.requestBody as Json) as { content?: Record<string, { example?: unknown }> })
        ?.content?.['application/json'];
      const parameterExamples = [...((item.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])]
        .map(follow)
        .filter((parameter) => parameter.example !== undefined);
      if (media?.example === undefined && parameterExamples.length === 0) continue;
      const body =
        media?.example === undefined ? undefined : JSON.stringify(media.example).replace('"goldbuyer_01"', '"NAME"');
      const headers = Object.fromEntries(
        parameterExamples.filter((p) => p.in === 'header').map((p) => [String(p.name), String(p.example)]),
      );
      const query = parameterExamples
        .filter((p) => p.in === 'query')
        .map((p) => `${String(p.name)}=${encodeURIComponent(String(p.example))}`)
        .join('&');
      examples.push({
        name: `openapi.yaml example of ${id}`,
        operationId: id,
        as: id === 'updateProductPrices' ? 'admin' : undefined,
        pathValues: { orderId: 'ORDER', productType: 'GOLD_9999' },
        headers,
        query,
        body,
      });
    }
  }
  return examples;
}

describeEachDatabase(
  'an independent validator built only on the published contract agrees with the gateway',
  (database) => {
    let system: TestSystem;
    let user: TestAccount;
    let admin: TestAccount;
    let spec: Json;
    before(async () => {
      system = await startSystem(database);
      [user, admin] = await Promise.all([system.registerAndLogin(), system.registerAndLogin('ADMIN')]);
      spec = (await system.request().get('/openapi.json')).body as Json;
    });
    after(() => system?.stop());

    it('on every valid and invalid example of the suite and of openapi.yaml, with no exclusion', async () => {
      const validator = new IndependentValidator(spec);
      const examples = [...suiteExamples(), ...contractExamples(spec)];
      expect(contractExamples(spec).length).to.be.at.least(4);
      const disagreements: string[] = [];
      let refused = 0;
      let byReading = 0;
      for (const example of examples) {
        const name = uniqueName();
        const needsOrder = example.pathValues?.orderId === 'ORDER';
        const orderId = needsOrder
          ? (
              (
                await system
                  .request()
                  .post('/orders/sale')
                  .set('Authorization', `Bearer ${user.accessToken}`)
                  .send(orderBody())
              ).body as { id: string }
            ).id
          : undefined;
        const needsRefresh = typeof example.body === 'string' && example.body.includes('REFRESH');
        const refresh = needsRefresh ? (await system.registerAndLogin()).refreshToken : '';
        const fill = (text: string) => text.replaceAll('NAME', name).replaceAll('REFRESH', refresh);
        const request: RequestToJudge = {
          ...example,
          pathValues: Object.fromEntries(
            Object.entries(example.pathValues ?? {}).map(([k, v]) => [k, v === 'ORDER' ? orderId! : v]),
          ),
          body: typeof example.body === 'string' ? fill(example.body) : example.body,
        };
        const [method, template] = templates[example.operationId];
        const path = template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(request.pathValues![key]));
        const token = example.as === 'none' ? undefined : example.as === 'admin' ? admin.accessToken : user.accessToken;
        const headers: Record<string, string> = { ...request.headers };
        if (token && !['register', 'login', 'refresh', 'listProducts'].includes(example.operationId))
          headers.Authorization = `Bearer ${token}`;
        if (request.body !== undefined) headers['Content-Type'] = 'application/json';
        const res = await fetch(`${system.gateway.url}${path}${request.query ? `?${request.query}` : ''}`, {
          method,
          headers,
          body: request.body,
        });
        const answer = (await res.json().catch(() => ({}))) as { errors?: Array<{ path: string }> };
        const { broken: expected, byReadingRule } = validator.judge(request);
        if (byReadingRule) byReading += 1;
        const named = res.status === 400 ? (answer.errors ?? []).map((error) => error.path) : [];
        if (expected.length > 0) refused += 1;
        const agrees =
          expected.length === 0
            ? res.status < 500 && res.status !== 400
            : res.status === 400 && named.length > 0 && named.every((where) => expected.includes(where));
        if (!agrees)
          disagreements.push(
            `${example.name}: independent ${JSON.stringify(expected)}, gateway ${res.status} ${JSON.stringify(named)}`,
          );
      }
      console.log(
        `      ${examples.length} examples: ${examples.length - refused} accepted, ${refused} refused by the contract ` +
          `(${refused - byReading} by JSON Schema, ${byReading} by a reading rule of x-request-reading); ` +
          `${examples.length - disagreements.length} agree`,
      );
      expect(disagreements).to.deep.equal([]);
    });
  },
);

// Why "at most two decimal places" of a JSON number is a reading rule and not
// `multipleOf: 0.01`: the independent validator, like many, divides doubles.
describe('multipleOf: 0.01 in ajv, the independent validator', () => {
  it('refuses 2.34, 0.07 and 0.29, which are two-place amounts', () => {
    const ajv = new Ajv2020();
    const twoPlaces = ajv.compile({ type: 'number', multipleOf: 0.01 });
    expect([2.34, 0.07, 0.29].map((value) => twoPlaces(value))).to.deep.equal([false, false, false]);
  });
});
