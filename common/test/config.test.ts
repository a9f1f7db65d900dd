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
      hosts: [{ host: 'db.local', port: 3307 }],
      user: 'app',
      password: 'p@ss',
      database: 'orders',
      syncWait: true,
      poolMax: 5,
    });
    expect(parseDatabaseUrl('sqlite:/tmp/x.sqlite', 1)).to.include({ client: 'sqlite', filename: '/tmp/x.sqlite' });
    expect(() => parseDatabaseUrl('postgres://x/y', 1)).to.throw(/mysql/);
  });

  it('reads the servers of a cluster from a URL or a host list, the same way in both forms', () => {
    const nodes = [
      { host: 'node-1', port: 3306 },
      { host: 'node-2', port: 3307 },
      { host: '::1', port: 3308 },
    ];
    expect(parseDatabaseUrl('mysql://app:pw@node-1,node-2:3307,[::1]:3308/orders', 5)).to.deep.include({
      hosts: nodes,
      user: 'app',
      password: 'pw',
      database: 'orders',
    });
    const names = { url: 'ORDERS_DATABASE_URL', prefix: 'API_DB', sqliteName: 'orders' };
    expect(databaseFromEnv({ API_DB_HOST: 'node-1, node-2:3307,[::1]:3308' }, names, true)).to.deep.include({
      hosts: nodes,
      syncWait: true,
    });
    expect(databaseFromEnv({ API_DB_HOST: 'a,b', API_DB_PORT: '3400' }, names, true)).to.deep.include({
      hosts: [
        { host: 'a', port: 3400 },
        { host: 'b', port: 3400 },
      ],
    });
    expect(
      databaseFromEnv({ ORDERS_DATABASE_URL: 'mysql://u@a,b/o', API_DB_SYNC_WAIT: 'off' }, names, true),
    ).to.deep.include({ syncWait: false });
    expect(() => databaseFromEnv({ API_DB_HOST: 'a,,b' }, names, true)).to.throw(/API_DB_HOST/);
    expect(() => databaseFromEnv({ API_DB_HOST: 'a:99999' }, names, true)).to.throw(/API_DB_HOST/);
    expect(() => databaseFromEnv({ ORDERS_DATABASE_URL: 'mysql://u@a,b:x/o' }, names, true)).to.throw(
      /ORDERS_DATABASE_URL/,
    );
    expect(() => databaseFromEnv({ API_DB_HOST: 'a', API_DB_SYNC_WAIT: 'sometimes' }, names, true)).to.throw(
      /API_DB_SYNC_WAIT/,
    );
  });

  it('falls back to SQLite in development and refuses to in production', () => {
    const names = { url: 'ORDERS_DATABASE_URL', prefix: 'API_DB', sqliteName: 'orders' };
    expect(databaseFromEnv({}, names, false).client).to.equal('sqlite');
    expect(() => databaseFromEnv({}, names, true)).to.throw(/ORDERS_DATABASE_URL/);
    expect(databaseFromEnv({ API_DB_HOST: 'db', API_DB_NAME: 'o' }, names, true)).to.deep.include({
      client: 'mysql',
      hosts: [{ host: 'db', port: 3306 }],
      database: 'o',
    });
    expect(() => databaseFromEnv({ ORDERS_DATABASE_URL: 'nonsense' }, names, false)).to.throw(/ORDERS_DATABASE_URL/);
  });
});
