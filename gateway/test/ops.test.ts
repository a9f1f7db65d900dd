import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { describeEachDatabase } from '../../common/test/databases';
import { contractFile } from '../src/http/contract';
import { expectProblem } from './support/problems';
import { startSystem, type TestSystem } from './support/system';

describeEachDatabase('gateway operational routes', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, {}, { ordersOutages: true });
  });
  after(() => system?.stop());

  it('GET /healthz answers 200 while the process runs', async () => {
    const res = await system.request().get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('GET /readyz answers 200 when the database and the auth service answer', async () => {
    const res = await system.request().get('/readyz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ready', checks: { database: 'up', authService: 'up' } });
  });

  it('GET /openapi.yaml and /openapi.json serve the contract', async () => {
    const yamlText = readFileSync(contractFile, 'utf8');
    const yaml = await system.request().get('/openapi.yaml');
    expect(yaml.status).to.equal(200);
    expect(yaml.headers['content-type']).to.match(/^application\/yaml/);
    expect(yaml.text).to.equal(yamlText);
    const json = await system.request().get('/openapi.json');
    expect(json.status).to.equal(200);
    expect(json.headers['content-type']).to.match(/^application\/json/);
    expect(json.body).to.deep.equal(parse(yamlText));
  });

  it('GET /docs serves Swagger UI with its assets under /docs/', async () => {
    const page = await system.request().get('/docs');
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.text).to.include('<div id="swagger-ui">').and.include('src="/docs/swagger-ui-bundle.js"');
    for (const [asset, type] of [
      ['/docs/swagger-ui.css', /^text\/css/],
      ['/docs/swagger-ui-bundle.js', /javascript/],
      ['/docs/swagger-ui-standalone-preset.js', /javascript/],
      ['/docs/swagger-ui-init.js', /javascript/],
    ] as const) {
      const res = await system.request().get(asset);
      expect(res.status, asset).to.equal(200);
      expect(res.headers['content-type'], asset).to.match(type);
    }
    expect((await system.request().get('/docs/swagger-ui-init.js')).text).to.include('"title": "Aletheia API"');
    expectProblem(await system.request().get('/docs/package.json'), 404, 'not-found');
  });

  it('GET /metrics exposes request, gRPC, pool and process metrics', async () => {
    const account = await system.registerAndLogin();
    await system.request().get('/orders').set('Authorization', `Bearer ${account.accessToken}`).expect(200);
    await system.request().get('/healthz').expect(200);
    const res = await system.request().get('/metrics');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    expect(res.text)
      .to.match(/^http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/m)
      .and.match(
        /^http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/orders",status="200"\} [1-9]/m,
      )
      .and.match(/^grpc_client_call_duration_seconds_count\{method="ValidateToken",code="OK"\} [1-9]/m)
      .and.match(/^grpc_client_call_duration_seconds_count\{method="Login",code="OK"\} [1-9]/m)
      .and.match(/^db_pool_connections_used \d+/m)
      .and.match(/^db_pool_connections_free \d+/m)
      .and.match(/^process_cpu_user_seconds_total /m)
      .and.match(/^nodejs_eventloop_lag_seconds /m);
  });

  it('GET /readyz answers 503 naming the auth service when it is down, and recovers', async () => {
    await system.stopAuth();
    const down = await system.request().get('/readyz');
    expect(down.status).to.equal(503);
    expect(down.body).to.deep.equal({ status: 'unavailable', checks: { database: 'up', authService: 'down' } });
    expect(Number(down.headers['retry-after'])).to.be.greaterThan(0);
    await system.startAuth();
    while ((await system.request().get('/readyz')).status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('GET /readyz answers 503 naming the database when it is down', async () => {
    const outage = await system.ordersOutage();
    try {
      const res = await system.request().get('/readyz');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ status: 'unavailable', checks: { database: 'down', authService: 'up' } });
    } finally {
      await outage.end();
    }
    expect((await system.request().get('/readyz')).status).to.equal(200);
  });
});

describeEachDatabase('gateway operational routes, as an operator may restrict them', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, { METRICS_PORT: '0', DOCS_ENABLED: 'false' });
  });
  after(() => system?.stop());

  it('serves /metrics on METRICS_PORT only: the API port answers 404', async () => {
    expectProblem(await system.request().get('/metrics'), 404, 'not-found');
    const port = system.gateway.metricsPort;
    expect(port).to.be.a('number').and.not.equal(system.gateway.port);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).to.equal(200);
    expect(await metrics.text()).to.include('http_requests_total');
    expect((await fetch(`http://127.0.0.1:${port}/orders`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).to.equal(404);
  });

  it('turns /docs and its assets off with DOCS_ENABLED=false; the contract stays published', async () => {
    expectProblem(await system.request().get('/docs'), 404, 'not-found');
    expectProblem(await system.request().get('/docs/swagger-ui-bundle.js'), 404, 'not-found');
    expect((await system.request().get('/openapi.json')).status).to.equal(200);
  });
});
