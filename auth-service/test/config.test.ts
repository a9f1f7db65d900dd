import { expect } from 'chai';
import { ConfigError } from '../../common/src/config';
import { loadAuthConfig } from '../src/config';
import { loginCredentialsProblem, passwordProblem, usernameProblem } from '../src/users/password-policy';

const strongSecrets = {
  JWT_SECRET: 'a'.repeat(32),
  JWT_REFRESH_SECRET: 'b'.repeat(32),
  PASSWORD_PEPPER: 'p'.repeat(32),
};
const production = {
  NODE_ENV: 'production',
  AUTH_DATABASE_URL: 'mysql://auth@db:3306/auth',
  AUTH_GATEWAY_SECRET: 'c'.repeat(32),
  ...strongSecrets,
};

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadAuthConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  expect.fail('configuration was accepted');
}

describe('auth-service configuration', () => {
  it('runs with nothing set: SQLite under ./data, 127.0.0.1:50051, development secrets with warnings', () => {
    const config = loadAuthConfig({});
    expect(config.listenAddress).to.equal('127.0.0.1:50051');
    expect(config.database).to.include({ client: 'sqlite' });
    expect(config.database.client === 'sqlite' && config.database.filename).to.match(/data\/auth\.sqlite$/);
    expect(config).to.include({
      bcryptCost: 12,
      bcryptMaxConcurrency: 1,
      loginMaxFailures: 10,
      loginLockSeconds: 900,
      migrateOnStart: true,
      admin: null,
    });
    expect(config.jwt).to.include({ accessTtlSeconds: 900, refreshTtlSeconds: 7 * 86400 });
    expect(config.jwt.accessSecret).to.not.equal(config.jwt.refreshSecret);
    expect(config.warnings.join('\n')).to.contain('JWT_SECRET').and.contain('JWT_REFRESH_SECRET');
  });

  it('listens on AUTH_GRPC_ADDRESS when set, else AUTH_GRPC_HOST:AUTH_GRPC_PORT', () => {
    expect(loadAuthConfig({ AUTH_GRPC_PORT: '6000' }).listenAddress).to.equal('127.0.0.1:6000');
    expect(loadAuthConfig({ AUTH_GRPC_HOST: '127.0.0.2', AUTH_GRPC_PORT: '6000' }).listenAddress).to.equal(
      '127.0.0.2:6000',
    );
    expect(loadAuthConfig({ AUTH_GRPC_HOST: '::1' }).listenAddress).to.equal('[::1]:50051');
    expect(loadAuthConfig({ AUTH_GRPC_ADDRESS: 'unix:/run/aletheia/auth.sock' }).listenAddress).to.equal(
      'unix:/run/aletheia/auth.sock',
    );
    expect(loadAuthConfig({ AUTH_GRPC_ADDRESS: 'localhost:7000', AUTH_GRPC_PORT: '6000' }).listenAddress).to.equal(
      'localhost:7000',
    );
    expect(configError({ AUTH_GRPC_ADDRESS: 'nowhere' }).message).to.contain('AUTH_GRPC_ADDRESS');
    expect(loadAuthConfig({}).healthListenAddress).to.equal(null);
    expect(loadAuthConfig({ AUTH_HEALTH_GRPC_ADDRESS: '0.0.0.0:50052' }).healthListenAddress).to.equal('0.0.0.0:50052');
    expect(configError({ AUTH_GRPC_PORT: '70000' }).message).to.contain('AUTH_GRPC_PORT');
  });

  it('keeps AuthService on loopback or a unix socket: any other host is refused, naming the variable', () => {
    for (const host of ['0.0.0.0', '10.1.2.3', '::', 'aletheia.example.com']) {
      expect(configError({ AUTH_GRPC_HOST: host }).message).to.match(/AUTH_GRPC_HOST: .*loopback/);
    }
    expect(configError({ AUTH_GRPC_ADDRESS: '0.0.0.0:50051' }).message).to.match(/AUTH_GRPC_ADDRESS: .*loopback/);
    for (const address of ['localhost:1', '127.0.0.1:1', '[::1]:1', 'unix:/run/auth.sock']) {
      expect(loadAuthConfig({ AUTH_GRPC_ADDRESS: address }).listenAddress).to.equal(address);
    }
  });

  it('serves reflection except in production, unless AUTH_GRPC_REFLECTION says otherwise', () => {
    expect(loadAuthConfig({}).reflection).to.equal(true);
    expect(loadAuthConfig(production).reflection).to.equal(false);
    expect(loadAuthConfig({ ...production, AUTH_GRPC_REFLECTION: 'true' }).reflection).to.equal(true);
    expect(loadAuthConfig({ AUTH_GRPC_REFLECTION: 'false' }).reflection).to.equal(false);
  });

  it('reads the admission and login-counting settings, with defaults', () => {
    expect(loadAuthConfig({})).to.include({
      clientMaxInFlight: 2,
      clientMaxHashesPerMinute: 20,
      loginAccountMaxFailuresPerHour: 100,
      loginKnownClientDays: 30,
      bcryptMaxQueue: 100,
    });
    const set = loadAuthConfig({
      AUTH_CLIENT_MAX_IN_FLIGHT: '4',
      AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '60',
      LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: '50',
      LOGIN_KNOWN_CLIENT_DAYS: '7',
    });
    expect(set).to.include({
      clientMaxInFlight: 4,
      clientMaxHashesPerMinute: 60,
      loginAccountMaxFailuresPerHour: 50,
      loginKnownClientDays: 7,
    });
    for (const name of [
      'AUTH_CLIENT_MAX_IN_FLIGHT',
      'AUTH_CLIENT_MAX_HASHES_PER_MINUTE',
      'LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR',
    ]) {
      expect(configError({ [name]: '0' }).message).to.contain(name);
    }
  });

  it('needs AUTH_GATEWAY_SECRET in production (32 bytes or more); development uses a fixed one with a warning', () => {
    const development = loadAuthConfig({});
    expect(development.gatewaySecret).to.have.length.of.at.least(32);
    expect(development.warnings.join('\n')).to.contain('AUTH_GATEWAY_SECRET');
    expect(configError({ ...production, AUTH_GATEWAY_SECRET: undefined }).message).to.contain(
      'AUTH_GATEWAY_SECRET: required in production',
    );
    expect(configError({ ...production, AUTH_GATEWAY_SECRET: 'short' }).message).to.contain('AUTH_GATEWAY_SECRET');
  });

  it('reads durations, costs and switches', () => {
    const config = loadAuthConfig({
      JWT_EXPIRES_IN: '5m',
      JWT_REFRESH_EXPIRES_IN: '30d',
      BCRYPT_COST: '4',
      LOGIN_LOCK_SECONDS: '60',
      LOGIN_MAX_FAILURES: '5',
      MIGRATE_ON_START: 'false',
    });
    expect(config.jwt).to.include({ accessTtlSeconds: 300, refreshTtlSeconds: 30 * 86400 });
    expect(config).to.include({ bcryptCost: 4, loginLockSeconds: 60, loginMaxFailures: 5, migrateOnStart: false });
  });

  it('reads REFRESH_GRACE_SECONDS (default 10, at most 30) and warns about the development pepper', () => {
    expect(loadAuthConfig({}).refreshGraceSeconds).to.equal(10);
    expect(loadAuthConfig({}).warnings.join('\n')).to.contain('PASSWORD_PEPPER');
    expect(loadAuthConfig({ REFRESH_GRACE_SECONDS: '0' }).refreshGraceSeconds).to.equal(0);
    expect(loadAuthConfig({ REFRESH_GRACE_SECONDS: '30' }).refreshGraceSeconds).to.equal(30);
    for (const bad of ['31', '-1', '1.5', 'ten'])
      expect(configError({ REFRESH_GRACE_SECONDS: bad }).message).to.contain('REFRESH_GRACE_SECONDS');
  });

  it('names each bad variable', () => {
    expect(configError({ BCRYPT_COST: '3' }).message).to.contain('BCRYPT_COST');
    expect(configError({ BCRYPT_COST: '16' }).message).to.contain('BCRYPT_COST');
    expect(configError({ BCRYPT_MAX_CONCURRENCY: '0' }).message).to.contain('BCRYPT_MAX_CONCURRENCY');
    expect(configError({ LOGIN_MAX_FAILURES: '0' }).message).to.contain('LOGIN_MAX_FAILURES');
    expect(configError({ JWT_EXPIRES_IN: 'forever' }).message).to.contain('JWT_EXPIRES_IN');
    expect(configError({ MIGRATE_ON_START: 'maybe' }).message).to.contain('MIGRATE_ON_START');
    expect(configError({ AUTH_DATABASE_URL: 'postgres://x/y' }).message).to.contain('AUTH_DATABASE_URL');
  });

  it('accepts a complete production configuration', () => {
    const config = loadAuthConfig(production);
    expect(config.database).to.deep.include({ client: 'mysql', hosts: [{ host: 'db', port: 3306 }], database: 'auth' });
    expect(config.warnings).to.deep.equal([]);
    expect(
      loadAuthConfig({ ...production, AUTH_DATABASE_URL: undefined, AUTH_DB_HOST: 'db-1,db-2:3307' }).database,
    ).to.deep.include({
      client: 'mysql',
      hosts: [
        { host: 'db-1', port: 3306 },
        { host: 'db-2', port: 3307 },
      ],
    });
  });

  it('refuses in production: missing, short or shared secrets and a missing database', () => {
    const missing = configError({ NODE_ENV: 'production' });
    for (const name of [
      'JWT_SECRET',
      'JWT_REFRESH_SECRET',
      'PASSWORD_PEPPER',
      'AUTH_DATABASE_URL',
      'AUTH_GATEWAY_SECRET',
    ])
      expect(missing.message).to.contain(name);
    expect(configError({ ...production, PASSWORD_PEPPER: 'short-pepper' }).message).to.match(
      /PASSWORD_PEPPER: must be at least 32 bytes/,
    );
    expect(configError({ ...production, JWT_SECRET: 'too-short' }).message).to.match(
      /JWT_SECRET: must be at least 32 bytes/,
    );
    expect(configError({ ...production, JWT_REFRESH_SECRET: production.JWT_SECRET }).message).to.contain(
      'JWT_REFRESH_SECRET: must differ from JWT_SECRET',
    );
    expect(configError({ ...production, AUTH_DATABASE_URL: undefined }).message).to.contain('AUTH_DATABASE_URL');
  });

  it('validates the bootstrap admin by the registration rules', () => {
    expect(loadAuthConfig({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'admin-pass-1' }).admin).to.deep.equal({
      username: 'admin',
      password: 'admin-pass-1',
    });
    expect(configError({ ADMIN_USERNAME: 'admin' }).message).to.contain('ADMIN_PASSWORD: required');
    expect(configError({ ADMIN_PASSWORD: 'admin-pass-1' }).message).to.contain('ADMIN_USERNAME: required');
    expect(configError({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'weak' }).message).to.contain('ADMIN_PASSWORD');
    expect(configError({ ADMIN_USERNAME: 'x', ADMIN_PASSWORD: 'admin-pass-1' }).message).to.contain('ADMIN_USERNAME');
    expect(configError({ ADMIN_USERNAME: 'admin1234', ADMIN_PASSWORD: 'ADMIN1234' }).message).to.contain('username');
  });
});

describe('auth-service password policy', () => {
  it('accepts 4–20 letters, digits and underscores as a username', () => {
    for (const ok of ['abcd', 'A_b_9', 'x'.repeat(20)]) expect(usernameProblem(ok)).to.equal(null);
    for (const bad of ['abc', 'x'.repeat(21), 'a b c d', 'ünïcode', 'dash-ed', ''])
      expect(usernameProblem(bad)).to.be.a('string');
  });

  it('counts 8 to 128 code points as sent and after NFC, in any script, with no composition rules', () => {
    expect(passwordProblem('abcdefgh', 'someone')).to.equal(null); // letters only
    expect(passwordProblem('86753092', 'someone')).to.equal(null); // digits only
    expect(passwordProblem('abcdefg', 'someone')).to.match(/at least 8 characters/);
    expect(passwordProblem('금'.repeat(8), 'someone')).to.equal(null); // 24 bytes, 8 characters
    expect(passwordProblem('😀'.repeat(8), 'someone')).to.equal(null); // astral: one code point each
    expect(passwordProblem('😀'.repeat(7), 'someone')).to.match(/at least 8/);
    expect(passwordProblem('금'.repeat(128), 'someone')).to.equal(null); // 384 bytes
    expect(passwordProblem('금'.repeat(129), 'someone')).to.match(/at most 128 characters/);
    // Eight code points as sent, four after NFC (e + combining acute is é): too short.
    expect(passwordProblem('e\u0301'.repeat(4), 'someone')).to.match(/at least 8/);
    expect(passwordProblem('e\u0301'.repeat(8), 'someone')).to.equal(null);
    // 128 after NFC, 256 as sent: the contract's schema counts what is sent.
    expect(passwordProblem('e\u0301'.repeat(128), 'someone')).to.match(/at most 128/);
  });

  it('refuses the username and the 10,000 most common passwords, without regard to case', () => {
    expect(passwordProblem('Someone123', 'someone123')).to.match(/username/);
    for (const common of ['Password1', 'password1', 'Passw0rd', 'qwerty123', 'abc12345', 'ILOVEYOU', '1q2w3e4r'])
      expect(passwordProblem(common, 'someone'), common).to.match(/10,000 most common/);
    // Ranked past 10,000 in the list: not refused.
    expect(passwordProblem('hunter22', 'someone')).to.equal(null);
    expect(passwordProblem('correct-horse-42', 'someone')).to.equal(null);
  });

  it('refuses at login only what can never match', () => {
    expect(loginCredentialsProblem('someone', 'anything')).to.equal(null);
    expect(loginCredentialsProblem('someone', 'short')).to.equal(null); // an old password may predate today's policy
    expect(loginCredentialsProblem('someone', 'password1')).to.equal(null); // likewise
    expect(loginCredentialsProblem('', 'anything')).to.be.a('string');
    expect(loginCredentialsProblem('someone', '')).to.be.a('string');
    expect(loginCredentialsProblem('someone', '금'.repeat(128))).to.equal(null);
    expect(loginCredentialsProblem('someone', 'x'.repeat(129))).to.match(/at most 128/);
  });
});
