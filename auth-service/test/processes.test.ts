import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import type { DatabaseConfig } from '../../common/src/config';
import { describeEachDatabase } from '../../common/test/databases';
import { freePort } from '../../common/test/ports';
import { authClient, startTestAuthServer, testEnv } from './support/auth-server';
import { databaseUrl, finished, outputLine, runProgram, startProgram } from './support/processes';
import { rpc, rpcFails } from './support/rpc';
import { healthStatus, reflect } from './support/standard-services';

const createUser = 'auth-service/src/cli/create-user.js';
const unlockUser = 'auth-service/src/cli/unlock-user.js';
const disableUser = 'auth-service/src/cli/disable-user.js';
const enableUser = 'auth-service/src/cli/enable-user.js';

describeEachDatabase('auth-service programs', (database) => {
  let config: DatabaseConfig;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    config = await database.create();
    env = { ...testEnv, AUTH_DATABASE_URL: databaseUrl(config) };
  });
  after(async () => {
    await database.drop();
  });

  describe('node dist/scripts/migrate.js', () => {
    it('migrates the auth database, and a second run finds nothing to do', async () => {
      const first = await runProgram('scripts/migrate.js', ['auth'], env);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout).to.contain('20260101000100_create_sessions');
      const second = await runProgram('scripts/migrate.js', ['auth'], env);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout).to.contain('already up to date');
    });

    it('refuses an unknown set (exit 2)', async () => {
      const result = await runProgram('scripts/migrate.js', ['nonsense'], env);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.contain('auth|orders|all');
    });
  });

  describe('npm run user:create', () => {
    it('creates an ADMIN account with the password from ALETHEIA_USER_PASSWORD', async () => {
      const result = await runProgram(createUser, ['--username', 'ops_admin', '--role', 'ADMIN'], {
        ...env,
        ALETHEIA_USER_PASSWORD: 'ops-pass-11',
      });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^created ADMIN account ops_admin \(id [0-9a-f-]{36}\)\n$/);
      const server = await startTestAuthServer(config);
      try {
        const tokens = await rpc(server.client, 'Login', { username: 'ops_admin', password: 'ops-pass-11' });
        const principal = await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
        expect(principal.role).to.equal('ADMIN');
      } finally {
        await server.stop();
      }
    });

    it('promotes an existing account with a password piped on stdin, ending its sessions', async () => {
      const server = await startTestAuthServer(config);
      try {
        await rpc(server.client, 'Register', { username: 'Plain_User', password: 'user-pass-11' });
        const before = await rpc(server.client, 'Login', { username: 'Plain_User', password: 'user-pass-11' });

        const result = await runProgram(
          createUser,
          ['--username', 'plain_user', '--role', 'ADMIN'],
          env,
          'new-pass-22\n',
        );
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.contain('role USER -> ADMIN; password replaced, sessions ended');

        await rpcFails(server.client, 'ValidateToken', { accessToken: before.accessToken }, status.UNAUTHENTICATED);
        const tokens = await rpc(server.client, 'Login', { username: 'Plain_User', password: 'new-pass-22' });
        const principal = await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
        expect(principal).to.include({ username: 'Plain_User', role: 'ADMIN' });

        const unchanged = await runProgram(createUser, ['--username', 'plain_user'], env, 'new-pass-22');
        expect(unchanged.stdout).to.contain('is already ADMIN with that password');
        await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
      } finally {
        await server.stop();
      }
    });

    it('applies the password policy (exit 1) and explains its usage (exit 2)', async () => {
      const weak = await runProgram(createUser, ['--username', 'weak_user'], env, 'short1');
      expect(weak.code).to.equal(1);
      expect(weak.stderr).to.contain('password must be at least 8 characters');
      const common = await runProgram(createUser, ['--username', 'common_user'], env, 'Password1');
      expect(common.code).to.equal(1);
      expect(common.stderr).to.contain('10,000 most common');
      const noName = await runProgram(createUser, ['--role', 'ADMIN'], env, 'good-pass-1');
      expect(noName.code).to.equal(2);
      expect(noName.stderr).to.contain('--username is required');
      const badRole = await runProgram(createUser, ['--username', 'role_user', '--role', 'ROOT'], env, 'good-pass-1');
      expect(badRole.code).to.equal(2);
    });
  });

  describe('npm run user:unlock', () => {
    it('clears every login counter of the name: the refused client logs in again; the clearing is logged', async () => {
      const server = await startTestAuthServer(config);
      try {
        await rpc(server.client, 'Register', { username: 'Locked_Out', password: 'gold-bar-99' });
        for (let attempt = 0; attempt < 3; attempt += 1) {
          await rpcFails(
            server.client,
            'Login',
            { username: 'locked_out', password: 'wrong-pass-1' },
            status.UNAUTHENTICATED,
          );
        }
        await rpcFails(
          server.client,
          'Login',
          { username: 'locked_out', password: 'gold-bar-99' },
          status.RESOURCE_EXHAUSTED,
        );
        const result = await runProgram(unlockUser, ['--username', 'LOCKED_OUT'], env);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.match(/^cleared the login counters of LOCKED_OUT \(\d+ rows\)\n$/);
        const event = result.stderr
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => line.securityEvent === 'login counters cleared');
        expect(event).to.include({ username: 'locked_out' });
        await rpc(server.client, 'Login', { username: 'locked_out', password: 'gold-bar-99' });
      } finally {
        await server.stop();
      }
    });

    it('explains its usage (exit 2)', async () => {
      expect((await runProgram(unlockUser, [], env)).code).to.equal(2);
      expect((await runProgram(unlockUser, ['--username', 'no such name!'], env)).code).to.equal(2);
    });
  });

  describe('npm run user:disable and user:enable', () => {
    it('disables an account (its sessions end, it cannot log in) and enables it again; both are logged', async () => {
      const server = await startTestAuthServer(config);
      try {
        const { userId } = await rpc(server.client, 'Register', { username: 'To_Disable', password: 'gold-bar-99' });
        const tokens = await rpc(server.client, 'Login', { username: 'to_disable', password: 'gold-bar-99' });
        const disabled = await runProgram(disableUser, ['--username', 'TO_DISABLE'], env);
        expect(disabled.code, disabled.stderr).to.equal(0);
        expect(disabled.stdout).to.match(
          /^disabled account To_Disable \(id [0-9a-f-]{36}\); its sessions have ended\n$/,
        );
        expect(disabled.stderr).to.contain('"securityEvent":"account disabled"');
        const [session] = (await server.handle.db.query('select revoke_reason from sessions where user_id = ?', [
          userId,
        ])) as Array<{ revoke_reason: string }>;
        expect(session.revoke_reason).to.equal('account_disabled');
        await rpcFails(server.client, 'Refresh', { refreshToken: tokens.refreshToken }, status.UNAUTHENTICATED);
        await rpcFails(
          server.client,
          'Login',
          { username: 'to_disable', password: 'gold-bar-99' },
          status.UNAUTHENTICATED,
        );
        const enabled = await runProgram(enableUser, ['--username', 'to_disable'], env);
        expect(enabled.code, enabled.stderr).to.equal(0);
        expect(enabled.stdout).to.match(/^enabled account To_Disable/);
        await rpc(server.client, 'Login', { username: 'to_disable', password: 'gold-bar-99' });
      } finally {
        await server.stop();
      }
    });

    it('names an unknown account (exit 1) and explains its usage (exit 2)', async () => {
      const unknown = await runProgram(disableUser, ['--username', 'nobody_here'], env);
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.contain('no account with this username');
      expect((await runProgram(enableUser, [], env)).code).to.equal(2);
      expect((await runProgram(disableUser, ['--username', 'bad name!'], env)).code).to.equal(2);
    });
  });

  describe('node dist/auth-service/src/main.js', () => {
    it('in production: no reflection, and a health-only port that serves nothing else', async () => {
      const [port, healthPort] = [await freePort(), await freePort()];
      const child = startProgram('auth-service/src/main.js', [], {
        ...env,
        NODE_ENV: 'production',
        AUTH_GRPC_PORT: String(port),
        AUTH_HEALTH_GRPC_ADDRESS: `127.0.0.1:${healthPort}`,
      });
      const exit = finished(child);
      try {
        await outputLine(child, 'auth service listening');
        const main = `127.0.0.1:${port}`;
        const health = `127.0.0.1:${healthPort}`;
        expect(await healthStatus(main)).to.equal('SERVING');
        expect(await healthStatus(health)).to.equal('SERVING');
        const reflection = await reflect(main, { list_services: '' }).catch((error: { code?: number }) => error);
        expect((reflection as { code?: number }).code).to.equal(status.UNIMPLEMENTED);
        const client = authClient(health);
        try {
          await rpcFails(client, 'Register', { username: 'probe_user', password: 'gold-bar-99' }, status.UNIMPLEMENTED);
        } finally {
          client.close();
        }
        const reflectionOnHealth = await reflect(health, { list_services: '' }).catch(
          (error: { code?: number }) => error,
        );
        expect((reflectionOnHealth as { code?: number }).code).to.equal(status.UNIMPLEMENTED);
      } finally {
        child.kill('SIGTERM');
        await exit;
      }
    });

    /**
     * Starts the service, puts three logins in flight, signals it once they are (and
     * `again` once more while it drains), and resolves to how it exited.
     */
    async function loginsAtSigterm(username: string, again: boolean) {
      const port = await freePort();
      const child = startProgram('auth-service/src/main.js', [], {
        ...env,
        AUTH_GRPC_PORT: String(port),
        // Slow, serialised hashing keeps several logins in flight when the signal arrives.
        BCRYPT_COST: '10',
        BCRYPT_MAX_CONCURRENCY: '1',
      });
      const exit = finished(child);
      await outputLine(child, 'auth service listening');
      const client = authClient(`127.0.0.1:${port}`);
      try {
        await rpc(client, 'Register', { username, password: 'term-pass-1' });
        const logins = [1, 2, 3].map(() => rpc(client, 'Login', { username, password: 'term-pass-1' }));
        // Once the first login is answered the other two are queued in the server: stop now.
        await outputLine(child, '"method":"Login"');
        child.kill('SIGTERM');
        if (again) {
          await outputLine(child, 'finishing in-flight calls');
          child.kill('SIGTERM');
        }
        const answers = await Promise.all(logins);
        expect(answers.every((answer) => answer.tokenType === 'Bearer')).to.equal(true);
      } finally {
        client.close();
      }
      return exit;
    }

    it('finishes in-flight calls on SIGTERM, then exits 0', async () => {
      const result = await loginsAtSigterm('sigterm_user', false);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.contain('auth service stopped');
      // The queued logins really were in flight: they finished after the signal was handled.
      const stopping = result.stdout.indexOf('finishing in-flight calls');
      expect(stopping).to.be.greaterThan(-1);
      expect(result.stdout.indexOf('"method":"Login"', stopping)).to.be.greaterThan(stopping);
    });

    it('keeps finishing in-flight calls when a second SIGTERM arrives while it drains', async () => {
      const result = await loginsAtSigterm('twice_user', true);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.contain('already stopping');
      expect(result.stdout).to.contain('auth service stopped');
    });

    it('refuses to start in production without secrets or database, naming each variable (exit 1)', async () => {
      const result = await runProgram('auth-service/src/main.js', [], { NODE_ENV: 'production', JWT_SECRET: 'short' });
      expect(result.code).to.equal(1);
      for (const name of [
        'JWT_SECRET',
        'JWT_REFRESH_SECRET',
        'PASSWORD_PEPPER',
        'AUTH_DATABASE_URL',
        'AUTH_GATEWAY_SECRET',
      ])
        expect(result.stdout).to.contain(name);
    });
  });
});
