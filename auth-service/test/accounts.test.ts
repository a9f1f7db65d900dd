import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import bcrypt from 'bcrypt';
import { v7 as uuidv7 } from 'uuid';
import { toDbTime } from '../../common/src/db-time';
import { describeEachDatabase } from '../../common/test/databases';
import { startTestAuthServer, type TestAuthServer } from './support/auth-server';
import { rpc, rpcFails } from './support/rpc';

const password = 'gold-bar-99';
let sequence = 0;
/** A fresh, valid username per test, so tests never share accounts. */
const newUsername = (prefix = 'user') => `${prefix}_${process.pid % 1000}_${++sequence}`;

describeEachDatabase('auth-service accounts', (database) => {
  let server: TestAuthServer;

  before(async () => {
    server = await startTestAuthServer(database);
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  const register = (username: string, secret = password) =>
    rpc(server.client, 'Register', { username, password: secret });
  const login = (username: string, secret = password) => rpc(server.client, 'Login', { username, password: secret });

  describe('Register', () => {
    it('creates a USER account and returns its id (a UUID v7)', async () => {
      const username = newUsername();
      const { userId } = await register(username);
      expect(userId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const tokens = await login(username);
      const principal = await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
      expect(principal).to.include({ userId, username, role: 'USER' });
    });

    it('refuses a username taken in any letter case (ALREADY_EXISTS)', async () => {
      const username = newUsername('Case');
      await register(username);
      await rpcFails(server.client, 'Register', { username, password }, status.ALREADY_EXISTS);
      await rpcFails(server.client, 'Register', { username: username.toUpperCase(), password }, status.ALREADY_EXISTS);
      await rpcFails(server.client, 'Register', { username: username.toLowerCase(), password }, status.ALREADY_EXISTS);
    });

    it('lets exactly one of several racing registrations of one name win', async () => {
      const username = newUsername('race');
      const variants = [username, username.toUpperCase(), username, username.toLowerCase()];
      const outcomes = await Promise.allSettled(variants.map((name) => register(name)));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).to.have.length(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          expect((outcome.reason as { code: number }).code).to.equal(status.ALREADY_EXISTS);
      }
    });

    it('keeps the spelling given at registration and logs in with any case', async () => {
      const username = newUsername('MiXed');
      await register(username);
      const tokens = await login(username.toLowerCase());
      const principal = await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
      expect(principal.username).to.equal(username);
    });

    const invalid: Array<[string, string, string, RegExp]> = [
      ['a username shorter than 4', 'abc', password, /username/],
      ['a username longer than 20', 'a'.repeat(21), password, /username/],
      ['a username with other characters', 'bad-name', password, /username/],
      ['an empty username', '', password, /username/],
      ['a password shorter than 8 characters', 'validname1', 'abc1234', /at least 8 characters/],
      ['a password of 7 Hangul syllables (21 bytes)', 'validname5', '가나다라마바사', /at least 8 characters/],
      ['a password of 129 characters', 'validname4', '금'.repeat(129), /at most 128 characters/],
      ['a password of 8 code points that NFC makes 4', 'validname6', 'e\u0301'.repeat(4), /at least 8/],
      ['a password equal to the username (any case)', 'Password123', 'password123', /username/],
      ...['Password1', 'password1', 'Passw0rd', 'qwerty123', 'abc12345'].map(
        (common, index): [string, string, string, RegExp] => [
          `the common password ${common}`,
          `common_name_${index}`,
          common,
          /10,000 most common/,
        ],
      ),
    ];
    for (const [what, username, secret, message] of invalid) {
      it(`refuses ${what} (INVALID_ARGUMENT)`, async () => {
        const error = await rpcFails(
          server.client,
          'Register',
          { username, password: secret },
          status.INVALID_ARGUMENT,
        );
        expect(error.details).to.match(message);
      });
    }

    it('has no composition rules: letters only, digits only, spaces and emoji are passwords', async () => {
      for (const secret of ['onlylettershere', '86753092', 'four words with spaces', '🔑🪙🔒🏦💰🥇📈🛡️']) {
        const username = newUsername('free');
        await register(username, secret);
        await login(username, secret);
      }
    });

    it('verifies every character of a long password in any script: 64 and 128 Hangul syllables, nothing truncated', async () => {
      const syllables = (count: number, offset = 0) =>
        Array.from({ length: count }, (_, i) => String.fromCodePoint(0xac00 + ((i * 37 + offset) % 11172))).join('');
      for (const length of [64, 65, 128]) {
        const secret = syllables(length);
        expect([...secret]).to.have.length(length);
        const username = newUsername(`hangul${length}`);
        await register(username, secret);
        await login(username, secret);
        // Changing only the last character (past bcrypt's 72 bytes, which 24 syllables fill) fails.
        const changed = `${secret.slice(0, -1)}${secret.at(-1) === '금' ? '은' : '금'}`;
        await rpcFails(server.client, 'Login', { username, password: changed }, status.UNAUTHENTICATED);
        if (length > 64) {
          const sixtyFifth = `${secret.slice(0, 64)}${secret[64] === '금' ? '은' : '금'}${secret.slice(65)}`;
          await rpcFails(server.client, 'Login', { username, password: sixtyFifth }, status.UNAUTHENTICATED);
        }
      }
    });

    it('hashes the NFC form: a password registered decomposed logs in composed, and the reverse', async () => {
      const decomposed = 'cafe\u0301-cre\u0300me-bru\u0302le\u0301e';
      const composed = decomposed.normalize('NFC');
      expect(composed).to.not.equal(decomposed);
      const first = newUsername('nfc');
      await register(first, decomposed);
      await login(first, composed);
      const second = newUsername('nfc');
      await register(second, composed);
      await login(second, decomposed);
    });

    it('stores a bcrypt of the peppered HMAC, never of the password itself, marked with its scheme', async () => {
      const username = newUsername('pepper');
      const secret = 'gold-bar-pepper-7';
      await register(username, secret);
      const [row] = (await server.handle.db.query(
        'select password_hash, password_scheme from users where username = ?',
        [username],
      )) as Array<{ password_hash: string; password_scheme: string }>;
      expect(row.password_scheme).to.equal('hmac-sha256-bcrypt');
      expect(row.password_hash).to.match(/^\$2[aby]\$04\$/);
      expect(await bcrypt.compare(secret, row.password_hash)).to.equal(false);
      // The same database under another pepper cannot verify it: the pepper is part of the hash.
      const other = await startTestAuthServer(server.config.database, {
        PASSWORD_PEPPER: 'another-pepper-of-at-least-32-bytes!!',
      });
      try {
        await rpcFails(other.client, 'Login', { username, password: secret }, status.UNAUTHENTICATED);
      } finally {
        await other.stop();
      }
      await login(username, secret);
    });
  });

  describe('hashes of the old scheme (bcrypt of the password as typed)', () => {
    /** A user row as the previous release wrote it: no scheme column given, so the migration's default applies. */
    async function legacyUser(secret: string): Promise<{ username: string; id: string }> {
      const username = newUsername('legacy');
      const id = uuidv7();
      const now = toDbTime(new Date());
      await server.handle.db.execute(
        'insert into users (id, username, username_normalized, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)',
        [id, username, username.toLowerCase(), await bcrypt.hash(secret, 4), 'USER', now, now],
      );
      return { username, id };
    }
    const stored = async (id: string) =>
      (await server.handle.db.query('select password_hash, password_scheme from users where id = ?', [id]))[0] as {
        password_hash: string;
        password_scheme: string;
      };

    it('logs in with its password and is upgraded to the current scheme by that login', async () => {
      const secret = 'gold1234'; // the old policy's kind of password: would be refused as new, still logs in
      const { username, id } = await legacyUser(secret);
      const before = await stored(id);
      expect(before.password_scheme).to.equal('bcrypt');
      await rpcFails(server.client, 'Login', { username, password: 'gold12345' }, status.UNAUTHENTICATED);
      expect((await stored(id)).password_hash).to.equal(before.password_hash);
      await login(username, secret);
      const after = await stored(id);
      expect(after.password_scheme).to.equal('hmac-sha256-bcrypt');
      expect(after.password_hash).to.not.equal(before.password_hash);
      expect(await bcrypt.compare(secret, after.password_hash)).to.equal(false);
      await login(username, secret);
      await rpcFails(server.client, 'Login', { username, password: 'gold12345' }, status.UNAUTHENTICATED);
    });

    it('never lets bcrypt truncate: a longer password sharing its first 72 bytes does not match', async () => {
      const secret = `${'금'.repeat(23)}a12`; // exactly 72 bytes, the old maximum
      const { username, id } = await legacyUser(secret);
      await rpcFails(server.client, 'Login', { username, password: `${secret}x` }, status.UNAUTHENTICATED);
      expect((await stored(id)).password_scheme).to.equal('bcrypt');
      await login(username, secret);
      expect((await stored(id)).password_scheme).to.equal('hmac-sha256-bcrypt');
    });
  });

  describe('Login', () => {
    it('returns a Bearer token pair with the access lifetime in seconds', async () => {
      const username = newUsername();
      await register(username);
      const tokens = await login(username);
      expect(tokens.tokenType).to.equal('Bearer');
      expect(tokens.expiresIn).to.equal(15 * 60);
      expect(tokens.accessToken.split('.')).to.have.length(3);
      expect(tokens.refreshToken).to.not.equal(tokens.accessToken);
    });

    it('answers an unknown user and a wrong password alike (UNAUTHENTICATED)', async () => {
      const username = newUsername();
      await register(username);
      const wrongPassword = await rpcFails(
        server.client,
        'Login',
        { username, password: 'wrong-pass-1' },
        status.UNAUTHENTICATED,
      );
      const unknownUser = await rpcFails(
        server.client,
        'Login',
        { username: newUsername('ghost'), password },
        status.UNAUTHENTICATED,
      );
      expect(unknownUser.details).to.equal(wrongPassword.details);
      // Every metadata key alike, and every value but the transport's clock (`date`, a
      // wall-clock value that differs whenever the two answers straddle a second).
      const unknownMetadata = unknownUser.metadata.getMap();
      const wrongMetadata = wrongPassword.metadata.getMap();
      expect(Object.keys(unknownMetadata).sort()).to.deep.equal(Object.keys(wrongMetadata).sort());
      const { date: _unknownDate, ...unknownRest } = unknownMetadata;
      const { date: _wrongDate, ...wrongRest } = wrongMetadata;
      expect(unknownRest).to.deep.equal(wrongRest);
    });

    it('refuses malformed credentials (INVALID_ARGUMENT)', async () => {
      await rpcFails(server.client, 'Login', { username: '', password }, status.INVALID_ARGUMENT);
      await rpcFails(server.client, 'Login', { username: newUsername(), password: '' }, status.INVALID_ARGUMENT);
      await rpcFails(server.client, 'Login', { username: 'no spaces!', password }, status.INVALID_ARGUMENT);
    });

    it('does not create users rows for unknown usernames', async () => {
      const ghost = newUsername('ghost');
      for (let attempt = 0; attempt < 2; attempt += 1) {
        await rpcFails(server.client, 'Login', { username: ghost, password }, status.UNAUTHENTICATED);
      }
      const rows = await server.handle.db.query('select id from users where username_normalized = ?', [
        ghost.toLowerCase(),
      ]);
      expect(rows).to.have.length(0);
    });

    it('keeps several sessions per user: a new login does not end the others', async () => {
      const username = newUsername();
      await register(username);
      const first = await login(username);
      const second = await login(username);
      const firstPrincipal = await rpc(server.client, 'ValidateToken', { accessToken: first.accessToken });
      const secondPrincipal = await rpc(server.client, 'ValidateToken', { accessToken: second.accessToken });
      expect(firstPrincipal.sessionId).to.not.equal(secondPrincipal.sessionId);
      expect(firstPrincipal.userId).to.equal(secondPrincipal.userId);
      await rpc(server.client, 'Logout', { accessToken: first.accessToken });
      await rpc(server.client, 'ValidateToken', { accessToken: second.accessToken });
      await rpc(server.client, 'Refresh', { refreshToken: second.refreshToken });
    });
  });

  describe('refusal of a client for an account (LOGIN_MAX_FAILURES=3, LOGIN_LOCK_SECONDS=2)', () => {
    const fail = (username: string) =>
      rpcFails(server.client, 'Login', { username, password: 'wrong-pass-1' }, status.UNAUTHENTICATED);

    it('refuses the client after 3 consecutive failures: even the right password is RESOURCE_EXHAUSTED with a retry delay', async () => {
      const username = newUsername('lock');
      await register(username);
      for (let attempt = 0; attempt < 3; attempt += 1) await fail(username);
      const locked = await rpcFails(server.client, 'Login', { username, password }, status.RESOURCE_EXHAUSTED);
      const retryAfter = Number(locked.metadata.get('retry-after-seconds')[0]);
      expect(retryAfter).to.be.within(1, 2);
      expect(locked.details).to.contain(`retry after ${retryAfter} seconds`);
      expect(locked.metadata.get('refusal-reason')).to.deep.equal(['too-many-login-failures']);
      // Another replica refuses the same client: the count lives in the database.
      const other = await startTestAuthServer(server.config.database);
      try {
        await rpcFails(other.client, 'Login', { username, password }, status.RESOURCE_EXHAUSTED);
      } finally {
        await other.stop();
      }
    });

    it('lets the right password in once the lock has expired, and counts afresh', async () => {
      const username = newUsername('expire');
      await register(username);
      for (let attempt = 0; attempt < 3; attempt += 1) await fail(username);
      await rpcFails(server.client, 'Login', { username, password }, status.RESOURCE_EXHAUSTED);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await login(username);
      // Counting starts afresh: two failures are not yet a lock.
      await fail(username);
      await fail(username);
      await login(username);
    });

    it('counts afresh after an expired lock even without a success in between', async () => {
      const username = newUsername('again');
      await register(username);
      for (let attempt = 0; attempt < 3; attempt += 1) await fail(username);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await fail(username);
      await login(username);
    });

    it('resets the count on success', async () => {
      const username = newUsername('reset');
      await register(username);
      await fail(username);
      await fail(username);
      await login(username);
      await fail(username);
      await fail(username);
      await login(username);
    });

    it('counts every one of several concurrent failures', async () => {
      const username = newUsername('burst');
      await register(username);
      await Promise.all([fail(username), fail(username), fail(username)]);
      await rpcFails(server.client, 'Login', { username, password }, status.RESOURCE_EXHAUSTED);
    });
  });
});
