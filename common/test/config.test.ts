import { expect } from 'chai';
import { z } from 'zod';
import { ConfigError, databaseFromEnv, durationSeconds, parseDatabaseUrl, parseEnv } from '../src/config';

describe('common configuration', () => {
  it('names every bad variable', () => {
    expect(() =>
      parseEnv(
        { API_PORT: z.coerce.number().int(), LOG_LEVEL: z.enum(['info']) },
        { API_PORT: 'x', LOG_LEVEL: 'loud' },
      ),
    )
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/API_PORT/)
      .and.matches(/LOG_LEVEL/);
  });

  it('reads durations as whole seconds', () => {
    const schema = { TTL: durationSeconds('15m') };
    expect(parseEnv(schema, {}).TTL).to.equal(900);
    expect(parseEnv(schema, { TTL: '7d' }).TTL).to.equal(604800);
    expect(parseEnv(schema, { TTL: '30' }).TTL).to.equal(30);
    expect(() => parseEnv(schema, { TTL: '0' })).to.throw(/TTL/);
    expect(() => parseEnv(schema, { TTL: '1w' })).to.throw(/TTL/);
  });

  it('parses MySQL and SQLite URLs', () => {
    expect(parseDatabaseUrl('mysql://app:p%40ss@db.local:3307/orders', 5)).to.deep.equal({
      client: 'mysql',
      host: 'db.local',
      port: 3307,
      user: 'app',
      password: 'p@ss',
      database: 'orders',
      poolMax: 5,
    });
    expect(parseDatabaseUrl('sqlite:/tmp/x.sqlite', 1)).to.include({ client: 'sqlite', filename: '/tmp/x.sqlite' });
    expect(() => parseDatabaseUrl('postgres://x/y', 1)).to.throw(/mysql/);
  });

  it('falls back to SQLite in development and refuses to in production', () => {
    const names = { url: 'ORDERS_DATABASE_URL', prefix: 'API_DB', sqliteName: 'orders' };
    expect(databaseFromEnv({}, names, false).client).to.equal('sqlite');
    expect(() => databaseFromEnv({}, names, true)).to.throw(/ORDERS_DATABASE_URL/);
    expect(databaseFromEnv({ API_DB_HOST: 'db', API_DB_NAME: 'o' }, names, true)).to.include({
      client: 'mysql',
      host: 'db',
      database: 'o',
    });
    expect(() => databaseFromEnv({ ORDERS_DATABASE_URL: 'nonsense' }, names, false)).to.throw(/ORDERS_DATABASE_URL/);
  });
});
