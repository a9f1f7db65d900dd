import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError } from '../../../common/src/config';
import { createLogger } from '../../../common/src/logger';
import { authMigrations } from '../../../common/src/migration-sets';
import { migrate } from '../../../common/src/migrations';
import { openSqlDatabase } from '../../../common/src/sql/database';
import type { AuthConfig } from '../config';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { loggableError } from '../loggable-error';
import type { AccountService } from '../users/account-service';
import { createAccounts } from '../users/accounts';

/** A command line that does not hold (exit 2), or `--help` (an empty message, exit 0). */
export class UsageError extends Error {}

/** An operator command's line: `--username <name>` (required), `--help`, and the command's own string options. */
export function parseUsernameCommandLine<Option extends string>(
  args: string[],
  options: Option[] = [],
): { username: string } & Partial<Record<Option, string>> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        username: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(options.map((name) => [name, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) throw new UsageError('');
  const { username } = values;
  if (typeof username !== 'string' || username === '') throw new UsageError('--username is required');
  const own: Partial<Record<Option, string>> = {};
  for (const name of options) {
    const value = values[name];
    if (typeof value === 'string') own[name] = value;
  }
  return { ...own, username };
}

/**
 * Runs `work` with the account service on the configured auth database (migrated first
 * when MIGRATE_ON_START says so), logging to stderr so that stdout keeps the answer.
 */
export async function withAccounts<T>(
  config: AuthConfig,
  command: string,
  work: (accounts: AccountService) => Promise<T>,
): Promise<T> {
  if (config.migrateOnStart) await migrate(config.database, authMigrations);
  const db = openSqlDatabase(config.database);
  try {
    const { accounts, close } = await createAccounts(db, config, createLogger(command, 'info', pino.destination(2)));
    try {
      return await work(accounts);
    } finally {
      await close();
    }
  } finally {
    await db.close();
  }
}

/**
 * An operator command's ending: its summary on stdout (exit 0), or what went wrong on
 * stderr — usage (exit 2), a refused input or configuration (exit 1), anything else
 * (exit 1, logged without internals).
 */
export function finishCommand(name: string, usage: string, outcome: Promise<string>): void {
  outcome.then(
    (summary) => {
      process.stdout.write(`${summary}\n`);
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(error.message ? `${name}: ${error.message}\n\n${usage}\n` : `${usage}\n`);
        process.exitCode = error.message ? 2 : 0;
      } else if (
        error instanceof InvalidArgumentError ||
        error instanceof NotFoundError ||
        error instanceof ConfigError
      ) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`${name}: failed: ${JSON.stringify(loggableError(error))}\n`);
        process.exitCode = 1;
      }
    },
  );
}
