import { parseArgs } from 'node:util';
import { ConfigError } from '../../../common/src/config';
import { createDatabase } from '../../../common/src/database';
import { authMigrations } from '../../../common/src/migration-sets';
import { migrateToLatest } from '../../../common/src/migrations';
import { loadAuthConfig } from '../config';
import { InvalidArgumentError } from '../errors';
import { loggableError } from '../loggable-error';
import { SessionRepository } from '../sessions/session-repository';
import { AccountService, type EnsuredAccount } from '../users/account-service';
import { PasswordHasher } from '../users/password-hasher';
import { UserRepository, type Role } from '../users/user-repository';
import { readPassword } from './read-password';

const usage = `usage: npm run user:create -- --username <name> [--role USER|ADMIN]

Creates the account (a USER unless --role says otherwise), or makes an existing one
(name compared without regard to case) match: --role, when given, sets its role, and a
different password replaces the old one and ends all of its sessions. The password is read from ALETHEIA_USER_PASSWORD, else from stdin.
The auth database comes from AUTH_DATABASE_URL / AUTH_DB_* as for the service.`;

class UsageError extends Error {}

function parseCommandLine(args: string[]): { username: string; role: Role | null } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        username: { type: 'string' },
        role: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) throw new UsageError('');
  if (!values.username) throw new UsageError('--username is required');
  if (values.role === undefined) return { username: values.username, role: null };
  const role = values.role.toUpperCase();
  if (role !== 'USER' && role !== 'ADMIN') throw new UsageError('--role must be USER or ADMIN');
  return { username: values.username, role };
}

function describe(username: string, result: EnsuredAccount): string {
  if (result.created) return `created ${result.role} account ${username} (id ${result.userId})`;
  const changes = [
    ...(result.previousRole ? [`role ${result.previousRole} -> ${result.role}`] : []),
    ...(result.passwordChanged ? ['password replaced, sessions ended'] : []),
  ];
  return changes.length === 0
    ? `account ${username} (id ${result.userId}) is already ${result.role} with that password`
    : `updated account ${username} (id ${result.userId}): ${changes.join('; ')}`;
}

async function createUser(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { username, role } = parseCommandLine(args);
  const config = loadAuthConfig(env);
  const password = await readPassword(env);
  const db = createDatabase(config.database);
  try {
    if (config.migrateOnStart) await migrateToLatest(db, authMigrations);
    const hasher = await PasswordHasher.create(config.bcryptCost, { maxConcurrency: 1, maxQueue: 1 });
    const accounts = new AccountService(new UserRepository(db), new SessionRepository(db), hasher, {
      maxFailures: config.loginMaxFailures,
      lockSeconds: config.loginLockSeconds,
    });
    return describe(username, await accounts.ensureAccount(username, password, role));
  } finally {
    await db.destroy();
  }
}

createUser(process.argv.slice(2), process.env).then(
  (summary) => {
    process.stdout.write(`${summary}\n`);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(error.message ? `user:create: ${error.message}\n\n${usage}\n` : `${usage}\n`);
      process.exitCode = error.message ? 2 : 0;
    } else if (error instanceof InvalidArgumentError || error instanceof ConfigError) {
      process.stderr.write(`user:create: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`user:create: failed: ${JSON.stringify(loggableError(error))}\n`);
      process.exitCode = 1;
    }
  },
);
