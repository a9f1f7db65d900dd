import { loadAuthConfig } from '../config';
import type { EnsuredAccount } from '../users/account-service';
import type { Role } from '../users/user-repository';
import { finishCommand, parseUsernameCommandLine, UsageError, withAccounts } from './command';
import { readPassword } from './read-password';

const usage = `usage: npm run user:create -- --username <name> [--role USER|ADMIN]

Creates the account (a USER unless --role says otherwise), or makes an existing one
(name compared without regard to case) match: --role, when given, sets its role, and a
different password replaces the old one and ends all of its sessions. The password is read from ALETHEIA_USER_PASSWORD, else from stdin.
The auth database comes from AUTH_DATABASE_URL / AUTH_DB_* as for the service.`;

function parseCommandLine(args: string[]): { username: string; role: Role | null } {
  const { username, role } = parseUsernameCommandLine(args, ['role']);
  if (role === undefined) return { username, role: null };
  const upper = role.toUpperCase();
  if (upper !== 'USER' && upper !== 'ADMIN') throw new UsageError('--role must be USER or ADMIN');
  return { username, role: upper };
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
  return withAccounts(config, 'user-create', async (accounts) =>
    describe(username, await accounts.ensureAccount(username, password, role)),
  );
}

finishCommand('user:create', usage, createUser(process.argv.slice(2), process.env));
