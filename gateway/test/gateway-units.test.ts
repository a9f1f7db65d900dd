import { expect } from 'chai';
import { ConfigError } from '../../common/src/config';
import type { Principal } from '../src/auth/principal';
import { TokenCache } from '../src/auth/token-cache';
import { loadGatewayConfig } from '../src/config';
import { isDatabaseUnavailable } from '../../common/src/database-errors';
import { toProblem } from '../src/http/error-handler';
import { TransactionConflictError } from '../../common/src/sql/database';
import { loadContract } from '../src/http/contract';
import { readingRules } from '../src/http/request-reading';
import { ProblemError } from '../src/http/problem';

const principal = (sessionId: string): Principal => ({ userId: 'u', username: 'name', role: 'USER', sessionId });

describe('gateway configuration', () => {
  it('has working defaults for a fresh clone', () => {
    const config = loadGatewayConfig({});
    expect(config).to.deep.include({
      nodeEnv: 'development',
      port: 3000,
      auth: {
        address: '127.0.0.1:50051',
        timeoutMs: 2000,
        passwordTimeoutMs: 10000,
        gatewaySecret: 'aletheia-development-gateway-secret-do-not-use-in-production',
      },
      trustProxy: false,
      tokenCacheTtlMs: 1000,
      businessTimeZone: 'Asia/Seoul',
      logLevel: 'info',
      migrateOnStart: true,
      corsOrigins: ['http://localhost:3000'],
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 },
      metricsPort: undefined,
      docsEnabled: true,
    });
    expect(config.database.client).to.equal('sqlite');
    expect(config.warnings.join('\n')).to.contain('AUTH_GATEWAY_SECRET');
  });

  it('gives every call that hashes a password one deadline; the earlier name still counts', () => {
    expect(loadGatewayConfig({ AUTH_GRPC_PASSWORD_TIMEOUT_MS: '15000' }).auth.passwordTimeoutMs).to.equal(15000);
    expect(loadGatewayConfig({ AUTH_GRPC_LOGIN_TIMEOUT_MS: '12000' }).auth.passwordTimeoutMs).to.equal(12000);
    expect(
      loadGatewayConfig({ AUTH_GRPC_PASSWORD_TIMEOUT_MS: '15000', AUTH_GRPC_LOGIN_TIMEOUT_MS: '12000' }).auth
        .passwordTimeoutMs,
    ).to.equal(15000);
  });

  it('reads TRUST_PROXY in Express’s vocabulary and refuses what Express would not take', () => {
    expect(loadGatewayConfig({ TRUST_PROXY: 'false' }).trustProxy).to.equal(false);
    expect(loadGatewayConfig({ TRUST_PROXY: 'true' }).trustProxy).to.equal(true);
    expect(loadGatewayConfig({ TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadGatewayConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).to.deep.equal([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(() => loadGatewayConfig({ TRUST_PROXY: 'loopback,not-an-address' })).to.throw(ConfigError, /TRUST_PROXY/);
  });

  it('needs AUTH_GATEWAY_SECRET (32 bytes or more) in production', () => {
    const database = { NODE_ENV: 'production', ORDERS_DATABASE_URL: 'mysql://app:pw@db:3306/orders' };
    expect(() => loadGatewayConfig(database)).to.throw(ConfigError, /AUTH_GATEWAY_SECRET: required/);
    expect(() => loadGatewayConfig({ ...database, AUTH_GATEWAY_SECRET: 'short' })).to.throw(
      ConfigError,
      /AUTH_GATEWAY_SECRET/,
    );
    const config = loadGatewayConfig({ ...database, AUTH_GATEWAY_SECRET: 'g'.repeat(32) });
    expect(config.auth.gatewaySecret).to.equal('g'.repeat(32));
    expect(config.warnings).to.deep.equal([]);
  });

  it('allows exact CORS origins only; none by default in production', () => {
    expect(
      loadGatewayConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins,
    ).to.deep.equal(['https://app.example.com', 'http://localhost:5173']);
    expect(loadGatewayConfig({ API_PORT: '8080' }).corsOrigins).to.deep.equal(['http://localhost:8080']);
    const production = {
      NODE_ENV: 'production',
      ORDERS_DATABASE_URL: 'mysql://app:pw@db:3306/orders',
      AUTH_GATEWAY_SECRET: 'g'.repeat(32),
    };
    expect(loadGatewayConfig(production).corsOrigins).to.deep.equal([]);
    for (const wrong of [
      '*',
      'https://*.example.com',
      'https://app.example.com/',
      'https://app.example.com/path',
      'app.example.com',
      'null',
      'ftp://x.example',
    ]) {
      expect(() => loadGatewayConfig({ CORS_ORIGINS: wrong }), wrong).to.throw(ConfigError, /CORS_ORIGINS/);
    }
  });

  it('bounds header and request timeouts, and keeps /metrics off the API port when METRICS_PORT is set', () => {
    const config = loadGatewayConfig({
      HTTP_HEADERS_TIMEOUT_MS: '5000',
      HTTP_REQUEST_TIMEOUT_MS: '20000',
      METRICS_PORT: '9464',
      DOCS_ENABLED: 'false',
    });
    expect(config).to.deep.include({
      http: { headersTimeoutMs: 5000, requestTimeoutMs: 20000 },
      metricsPort: 9464,
      docsEnabled: false,
    });
    expect(() => loadGatewayConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000' })).to.throw(
      ConfigError,
      /HTTP_HEADERS_TIMEOUT_MS/,
    );
    expect(() => loadGatewayConfig({ HTTP_REQUEST_TIMEOUT_MS: '0' })).to.throw(ConfigError, /HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadGatewayConfig({ METRICS_PORT: '3000' })).to.throw(ConfigError, /METRICS_PORT/);
  });

  it('dials AUTH_GRPC_ADDRESS when set, else 127.0.0.1:AUTH_GRPC_PORT', () => {
    expect(loadGatewayConfig({ AUTH_GRPC_PORT: '50999' }).auth.address).to.equal('127.0.0.1:50999');
    expect(loadGatewayConfig({ AUTH_GRPC_PORT: '1', AUTH_GRPC_ADDRESS: 'unix:/run/auth.sock' }).auth.address).to.equal(
      'unix:/run/auth.sock',
    );
    expect(() => loadGatewayConfig({ AUTH_GRPC_ADDRESS: 'no port' })).to.throw(ConfigError, /AUTH_GRPC_ADDRESS/);
  });

  it('names every bad variable', () => {
    expect(() =>
      loadGatewayConfig({
        API_PORT: '70000',
        BUSINESS_TIME_ZONE: 'Mars/Olympus',
        TOKEN_CACHE_TTL_MS: '-1',
        MIGRATE_ON_START: 'maybe',
        AUTH_GRPC_TIMEOUT_MS: '0',
      }),
    )
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/API_PORT/)
      .and.matches(/BUSINESS_TIME_ZONE/)
      .and.matches(/TOKEN_CACHE_TTL_MS/)
      .and.matches(/MIGRATE_ON_START/)
      .and.matches(/AUTH_GRPC_TIMEOUT_MS/);
  });

  it('needs an explicit database in production', () => {
    const secret = { AUTH_GATEWAY_SECRET: 'g'.repeat(32) };
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', ...secret })).to.throw(ConfigError, /ORDERS_DATABASE_URL/);
    const config = loadGatewayConfig({
      NODE_ENV: 'production',
      ORDERS_DATABASE_URL: 'mysql://app:pw@db:3306/orders',
      ...secret,
    });
    expect(config.database).to.deep.include({
      client: 'mysql',
      hosts: [{ host: 'db', port: 3306 }],
      database: 'orders',
    });
  });
});

describe('token validation cache', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('keeps an entry for the TTL and never past the token expiry', () => {
    const cache = new TokenCache(1000, 10, clock);
    cache.set('a', principal('s1'), now + 60_000, now);
    cache.set('b', principal('s2'), now + 300, now);
    now += 299;
    expect(cache.get('a')).to.deep.equal(principal('s1'));
    expect(cache.get('b')).to.deep.equal(principal('s2'));
    now += 1;
    expect(cache.get('b')).to.equal(undefined);
    now += 700;
    expect(cache.get('a')).to.equal(undefined);
  });

  it('is disabled by a TTL of 0 and ignores tokens already expired', () => {
    const disabled = new TokenCache(0, 10, clock);
    disabled.set('a', principal('s1'), now + 60_000, now);
    expect(disabled.size).to.equal(0);
    const cache = new TokenCache(1000, 10, clock);
    cache.set('a', principal('s1'), now - 1, now);
    expect(cache.size).to.equal(0);
  });

  it('forgets every token of a session at once', () => {
    const cache = new TokenCache(1000, 10, clock);
    cache.set('a', principal('s1'), now + 60_000, now);
    cache.set('b', principal('s1'), now + 60_000, now);
    cache.set('c', principal('s2'), now + 60_000, now);
    cache.forgetSession('s1');
    expect([cache.get('a'), cache.get('b')]).to.deep.equal([undefined, undefined]);
    expect(cache.get('c')).to.deep.equal(principal('s2'));
  });

  it('does not store a validation that started before its session was ended here', () => {
    const cache = new TokenCache(1000, 10, clock);
    const startedAt = now;
    now += 5;
    cache.forgetSession('s1');
    cache.set('a', principal('s1'), now + 60_000, startedAt);
    expect(cache.get('a')).to.equal(undefined);
    now += 5;
    cache.set('a', principal('s1'), now + 60_000, now);
    expect(cache.get('a')).to.deep.equal(principal('s1'));
  });

  it('stays within its size bound, dropping the oldest entries first', () => {
    const cache = new TokenCache(1000, 3, clock);
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, principal(key), now + 60_000, now);
    expect(cache.size).to.equal(3);
    expect(cache.get('a')).to.equal(undefined);
    expect(cache.get('d')).to.deep.equal(principal('d'));
  });
});

describe('reading rules of openapi.yaml (x-request-reading)', () => {
  const rules = readingRules(loadContract().document);

  it('takes JSON numbers written as plain digits with at most two places, and nothing else', () => {
    for (const text of ['0', '1', '10', '10.5', '10.50', '2.34', '9999999.99', '0.01', '123456789012345678901'])
      expect(rules.jsonNumber.test(text), text).to.equal(true);
    for (const text of ['10.500', '1e2', '1E2', '1e+2', '-1', '-0', '0.0099999999999999999', '01', '1.', '.5', '1e-7'])
      expect(rules.jsonNumber.test(text), text).to.equal(false);
  });

  it('takes integer query parameters written as plain decimal digits, and nothing else', () => {
    for (const text of ['0', '1', '10', '100', '1000001'])
      expect(rules.integerParameter.test(text), text).to.equal(true);
    for (const text of ['1e1', '0x10', '+5', '-1', ' 5', '5 ', 'Infinity', '1.0', '010', '', '１０', '٥'])
      expect(rules.integerParameter.test(text), text).to.equal(false);
  });
});

describe('problem catalogue', () => {
  it('titles a problem with its code in words and answers the status the code is listed under', () => {
    const inFlight = new ProblemError('idempotency-key-in-flight', 'Another request holds this key.');
    expect(inFlight.body('/orders/purchase')).to.include({
      type: 'https://aletheia.gold/problems/idempotency-key-in-flight',
      title: 'Idempotency key in flight',
      status: 409,
    });
    expect(new ProblemError('database-unavailable', 'x')).to.include({ title: 'Database unavailable', status: 503 });
    expect(new ProblemError('forbidden', 'x')).to.include({ title: 'Forbidden', status: 403 });
  });
});

describe('error classification', () => {
  const coded = (code: string) => Object.assign(new Error('driver said no'), { code });

  it('treats connection failures as the database being unavailable, bugs as bugs', () => {
    for (const code of [
      'ECONNREFUSED',
      'PROTOCOL_CONNECTION_LOST',
      'ER_CON_COUNT_ERROR',
      'SQLITE_BUSY',
      'SQLITE_IOERR_READ',
    ]) {
      expect(isDatabaseUnavailable(coded(code)), code).to.equal(true);
    }
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: coded('ETIMEDOUT') }))).to.equal(true);
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
      ),
    ).to.equal(true);
    for (const code of ['ER_PARSE_ERROR', 'ER_DUP_ENTRY', 'SQLITE_CONSTRAINT']) {
      expect(isDatabaseUnavailable(coded(code)), code).to.equal(false);
    }
  });

  it('maps database outages to 503 and everything unknown to a generic 500', () => {
    const outage = toProblem(coded('ECONNREFUSED'));
    expect(outage).to.include({ code: 'database-unavailable', status: 503 });
    expect(outage.options.retryAfterSeconds).to.be.greaterThan(0);
    const bug = toProblem(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(bug).to.include({ code: 'internal-error', status: 500, detail: 'The request could not be completed.' });
  });

  it('maps a conflict the retries did not overcome to 503 with Retry-After, never 500', () => {
    const certification = Object.assign(new Error('Deadlock: wsrep aborted transaction'), {
      errno: 1213,
      sqlState: '40001',
      code: 'ER_LOCK_DEADLOCK',
    });
    for (const error of [new TransactionConflictError(5, certification), certification]) {
      const problem = toProblem(error);
      expect(problem).to.include({ code: 'database-unavailable', status: 503 });
      expect(problem.options.retryAfterSeconds).to.equal(1);
      expect(problem.detail).not.to.contain('wsrep');
    }
  });
});
