import { loadAuthConfig } from '../config';
import { usernameProblem } from '../users/password-policy';
import { finishCommand, parseUsernameCommandLine, UsageError, withAccounts } from './command';

const usage = `usage: npm run user:unlock -- --username <name>

Clears every login counter of the name (compared without regard to case): the refusals
and failure counts of every client, and the account's hourly failure budget. Sessions and
the password are left as they are. The auth database comes from AUTH_DATABASE_URL /
AUTH_DB_* as for the service; the clearing is logged as a security event (stderr).`;

function parseCommandLine(args: string[]): string {
  const { username } = parseUsernameCommandLine(args);
  const problem = usernameProblem(username);
  if (problem) throw new UsageError(problem);
  return username;
}

async function unlockUser(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const username = parseCommandLine(args);
  const cleared = await withAccounts(loadAuthConfig(env), 'user-unlock', (accounts) =>
    accounts.clearLoginCounters(username),
  );
  return `cleared the login counters of ${username} (${cleared} rows)`;
}

finishCommand('user:unlock', usage, unlockUser(process.argv.slice(2), process.env));
