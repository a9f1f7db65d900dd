import { loadAuthConfig } from '../config';
import { usernameProblem } from '../users/password-policy';
import { finishCommand, parseUsernameCommandLine, UsageError, withAccounts } from './command';

const usage = (command: 'disable' | 'enable') => `usage: npm run user:${command} -- --username <name>

${
  command === 'disable'
    ? `Disables the account (name compared without regard to case): it can no longer log in
(its logins are answered like a wrong password) or refresh, and every session of it ends.
Gateways that cached one of its access tokens refuse it within TOKEN_CACHE_TTL_MS.`
    : `Enables a disabled account: it may log in again. Sessions ended when it was disabled
stay ended.`
}
The auth database comes from AUTH_DATABASE_URL / AUTH_DB_* as for the service; the change
is logged as a security event (stderr).`;

/** `npm run user:disable` and `npm run user:enable`: the operator's switch of an account. */
export function runAccountStatusCommand(command: 'disable' | 'enable'): void {
  const run = async (args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
    const { username } = parseUsernameCommandLine(args);
    const problem = usernameProblem(username);
    if (problem) throw new UsageError(problem);
    const account = await withAccounts(loadAuthConfig(env), `user-${command}`, (accounts) =>
      accounts.setDisabled(username, command === 'disable'),
    );
    return command === 'disable'
      ? `disabled account ${account.username} (id ${account.userId}); its sessions have ended`
      : `enabled account ${account.username} (id ${account.userId})`;
  };
  finishCommand(`user:${command}`, usage(command), run(process.argv.slice(2), process.env));
}
