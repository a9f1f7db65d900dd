import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { IndependentValidator } from './support/independent-validator';
import { orderBody } from './support/orders-fixtures';
import { judgeReadingCase, readingCases, type Baseline, type ReadingCase } from './support/reading-cases';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

/** Writes raw bytes on a fresh connection; the status line's code, or undefined if none came. */
function rawStatus(port: number, bytes: Buffer): Promise<{ status: number; json: unknown } | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
      const body = text.split('\r\n\r\n')[1] ?? '';
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve(status === undefined ? undefined : { status: Number(status), json });
    });
  });
}

async function send(url: string, hostile: ReadingCase): Promise<{ status: number; json: unknown }> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(hostile.headers))
    for (const one of [value].flat()) headers.append(name, one);
  const res = await fetch(`${url}${hostile.path}`, { method: hostile.method, headers, body: hostile.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

// The reading classes of the hostile-input campaign (test/resilience scenario 4), on
// SQLite and MariaDB: every header that changes how a body is read, numbers in every
// spelling, unusual Unicode in every text field, repeated parameters.
describeEachDatabase('hostile input that attacks how a request is read', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  let admin: TestAccount;
  let spare: TestAccount;
  let leaver: TestAccount;
  let orderId: string;
  let spec: Record<string, unknown>;
  before(async () => {
    system = await startSystem(database);
    [user, admin, spare, leaver] = await Promise.all([
      system.registerAndLogin(),
      system.registerAndLogin('ADMIN'),
      system.registerAndLogin(),
      system.registerAndLogin(),
    ]);
    const created = await system
      .request()
      .post('/orders/purchase')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .send(orderBody());
    orderId = (created.body as { id: string }).id;
    spec = (await system.request().get('/openapi.json')).body as Record<string, unknown>;
  });
  after(() => system?.stop());

  it('answers every case without a 5xx, refuses what the contract refuses, accepts what it accepts, alters nothing', async function () {
    this.timeout(600_000);
    const validator = new IndependentValidator(spec);
    const bearer = (account: TestAccount) => ({ Authorization: `Bearer ${account.accessToken}` });
    const baseline = (operationId: string): Baseline => {
      // No such session (ending one is 404); the username only an ADMIN could act on (a USER's call is 403).
      const pathValues = {
        orderId,
        productType: 'GOLD_9999',
        sessionId: '01900000-0000-7000-8000-0000000000aa',
        username: spare.username,
      };
      switch (operationId) {
        case 'register':
          return {
            pathValues,
            headers: {},
            body: { username: `r_${randomBytes(6).toString('hex')}`, password: 'gold-bar-2026' },
          };
        case 'login':
          return { pathValues, headers: {}, body: { username: 'nobody_here', password: 'gold-bar-2026' } };
        case 'refresh':
          return { pathValues, headers: {}, body: { refreshToken: spare.refreshToken } };
        case 'logout':
          return { pathValues, headers: bearer(spare) };
        case 'logoutAll':
          return { pathValues, headers: bearer(leaver) };
        case 'changePassword':
          // A wrong current password: no case changes the password (each is 401, or 429 once refused).
          return {
            pathValues,
            headers: bearer(spare),
            body: { currentPassword: 'not-the-password', newPassword: 'gold-new-2026' },
          };
        case 'setAccountStatus':
          return { pathValues, headers: bearer(user), body: { status: 'DISABLED' } };
        case 'createPurchaseOrder':
        case 'createSaleOrder':
          return { pathValues, headers: bearer(user), body: orderBody() };
        case 'changeOrderStatus':
          return { pathValues, headers: bearer(user), body: { status: 'ORDER_COMPLETED' } };
        case 'updateProductPrices':
          return {
            pathValues,
            headers: bearer(admin),
            body: { purchasePricePerGram: '100000.00', salePricePerGram: '95000.00' },
          };
        default:
          return { pathValues, headers: bearer(user) };
      }
    };
    const cases = readingCases(spec, baseline);
    const perCategory = new Map<string, number>();
    const failures: string[] = [];
    let judged = 0;
    let agreed = 0;
    for (const hostile of cases) {
      perCategory.set(hostile.category, (perCategory.get(hostile.category) ?? 0) + 1);
      const answer = hostile.raw
        ? await rawStatus(system.gateway.port, hostile.raw)
        : await send(system.gateway.url, hostile);
      const verdict = judgeReadingCase(validator, hostile, answer);
      if (verdict.judged) judged += 1;
      if (verdict.agreed) agreed += 1;
      if (verdict.problems.length > 0)
        failures.push(`${hostile.operationId} ${hostile.category} ${hostile.name}: ${verdict.problems.join('; ')}`);
    }
    console.log(
      `      ${cases.length} requests (${[...perCategory].map(([category, count]) => `${category} ${count}`).join(', ')}); ` +
        `independent validator agrees on ${agreed} of ${judged} judged`,
    );
    expect(failures).to.deep.equal([]);
    expect(agreed).to.equal(judged);
  });
});
