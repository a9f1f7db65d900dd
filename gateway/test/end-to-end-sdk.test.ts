import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { createClient } from '../../generated/sdk/client';
import * as sdk from '../../generated/sdk/sdk.gen';
import { startSystem, testAdmin, type TestSystem } from './support/system';

// The same walk as the openapi-typescript end-to-end test, through the SDK a second,
// independent generator (@hey-api/openapi-ts) writes from openapi.yaml: how a client
// developer would use it, with one access token configured once.
describeEachDatabase('end to end through the @hey-api/openapi-ts SDK', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database);
  });
  after(() => system?.stop());

  it('register → login → purchase → list → read → confirm → cancel → refresh with the access token still set → logout', async () => {
    let accessToken = '';
    // Configured once, the way an app sets its token: the callback gives the access token for any scheme.
    const client = createClient({ baseUrl: system.gateway.url, auth: () => accessToken });
    const username = `sdk_${randomBytes(4).toString('hex')}`;
    const password = 'gold-sdk-2026';

    expect((await sdk.register({ client, body: { username, password } })).response!.status).to.equal(204);
    const login = await sdk.login({ client, body: { username, password } });
    expect(login.response!.status).to.equal(200);
    accessToken = login.data!.accessToken;
    let refreshToken = login.data!.refreshToken;

    const created = await sdk.createPurchaseOrder({
      client,
      headers: { 'Idempotency-Key': `sdk-${username}` },
      body: {
        productType: 'GOLD_999',
        quantity: 2.5,
        deliveryAddress: '1 Sejong-daero, Jung-gu, Seoul',
        recipientName: '김민지',
        contactNumber: '02-120-1234',
        postalCode: '04524',
      },
    });
    expect(created.response!.status).to.equal(201);
    const order = created.data!;
    expect(order).to.include({ quantity: '2.50', recipientName: '김민지', status: 'PENDING' });
    expect(created.response!.headers.get('location')).to.equal(`/orders/${order.id}`);

    const list = await sdk.listOrders({ client, query: { limit: 5, orderType: 'PURCHASE' } });
    expect(list.data!.data.map((o) => o.id)).to.deep.equal([order.id]);
    expect((await sdk.getOrder({ client, path: { orderId: order.id } })).data!.id).to.equal(order.id);
    const confirmed = await sdk.changeOrderStatus({
      client,
      path: { orderId: order.id },
      body: { status: 'ORDER_COMPLETED' },
    });
    expect(confirmed.data!.status).to.equal('ORDER_COMPLETED');
    expect((await sdk.cancelOrder({ client, path: { orderId: order.id } })).data!.status).to.equal('CANCELLED');

    // The SDK still sends the access token; the body carries the refresh token.
    const refreshed = await sdk.refresh({ client, body: { refreshToken } });
    expect(refreshed.response!.status, JSON.stringify(refreshed.error)).to.equal(200);
    expect(refreshed.data!.refreshToken).to.not.equal(refreshToken);
    accessToken = refreshed.data!.accessToken;
    refreshToken = refreshed.data!.refreshToken;
    expect((await sdk.listOrders({ client })).response!.status).to.equal(200);

    // The auth callback is told which scheme an operation wants, so an app can also keep the two apart.
    const schemes: string[] = [];
    const keyed = createClient({
      baseUrl: system.gateway.url,
      auth: (auth) => {
        schemes.push(String(auth.key));
        return auth.key === 'refreshToken' ? refreshToken : accessToken;
      },
    });
    const byHeader = await sdk.refresh({ client: keyed });
    expect(byHeader.response!.status, JSON.stringify(byHeader.error)).to.equal(200);
    expect(schemes).to.deep.equal(['refreshToken']);
    accessToken = byHeader.data!.accessToken;

    expect((await sdk.logout({ client })).response!.status).to.equal(204);
    const after = await sdk.listOrders({ client });
    expect(after.response!.status).to.equal(401);
    expect(after.error).to.include({ type: 'https://aletheia.gold/problems/unauthenticated', status: 401 });
  });

  it('change password → list sessions → end one → logout everywhere, and an ADMIN disables and enables the account', async () => {
    let accessToken = '';
    const client = createClient({ baseUrl: system.gateway.url, auth: () => accessToken });
    const username = `sdk_${randomBytes(4).toString('hex')}`;
    const password = '한국어로 된 긴 비밀번호 2026';
    expect((await sdk.register({ client, body: { username, password } })).response!.status).to.equal(204);
    const first = (await sdk.login({ client, body: { username, password } })).data!;
    const second = (await sdk.login({ client, body: { username, password } })).data!;
    accessToken = first.accessToken;

    const newPassword = 'a-different-long-passphrase';
    const changed = await sdk.changePassword({ client, body: { currentPassword: password, newPassword } });
    expect(changed.response!.status, JSON.stringify(changed.error)).to.equal(204);
    const afterChange = (await sdk.listSessions({ client })).data!.data;
    expect(afterChange).to.have.length(1);
    expect(afterChange[0]).to.include({ current: true });
    accessToken = second.accessToken;
    expect((await sdk.listOrders({ client })).response!.status).to.equal(401);

    accessToken = (await sdk.login({ client, body: { username, password: newPassword } })).data!.accessToken;
    const sessions = (await sdk.listSessions({ client })).data!.data;
    expect(sessions).to.have.length(2);
    const other = sessions.find((session) => !session.current)!;
    expect((await sdk.endSession({ client, path: { sessionId: other.id } })).response!.status).to.equal(204);
    const missing = await sdk.endSession({ client, path: { sessionId: other.id } });
    expect(missing.response!.status).to.equal(404);
    expect(missing.error).to.include({ type: 'https://aletheia.gold/problems/not-found' });
    expect((await sdk.logoutAll({ client })).response!.status).to.equal(204);
    expect((await sdk.listSessions({ client })).response!.status).to.equal(401);

    accessToken = (await sdk.login({ client, body: { username: testAdmin.username, password: testAdmin.password } }))
      .data!.accessToken;
    const disabled = await sdk.setAccountStatus({ client, path: { username }, body: { status: 'DISABLED' } });
    expect(disabled.data).to.deep.equal({ username, status: 'DISABLED' });
    expect((await sdk.login({ client, body: { username, password: newPassword } })).response!.status).to.equal(401);
    const enabled = await sdk.setAccountStatus({ client, path: { username }, body: { status: 'ACTIVE' } });
    expect(enabled.data).to.deep.equal({ username, status: 'ACTIVE' });
    expect((await sdk.login({ client, body: { username, password: newPassword } })).response!.status).to.equal(200);
  });

  it('gives a typed problem with each broken field in words', async () => {
    const client = createClient({ baseUrl: system.gateway.url });
    const refused = await sdk.register({ client, body: { username: 'no', password: 'short' } });
    expect(refused.response!.status).to.equal(400);
    const problem = refused.error!;
    expect(problem.type).to.equal('https://aletheia.gold/problems/invalid-request');
    expect(problem.errors).to.deep.equal([
      { path: '/body/username', message: 'must be 4 to 20 letters, digits or underscores' },
      { path: '/body/password', message: 'must be at least 8 characters long' },
    ]);
  });
});
