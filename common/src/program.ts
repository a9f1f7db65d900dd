import { ConfigError } from './config';
import { createLogger, type Logger } from './logger';

/**
 * A program's configuration, or exit 1 with a message naming every bad variable (the
 * same way in both programs). Errors other than bad configuration are thrown.
 */
export function configOrExit<Config>(program: string, load: () => Config): Config {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger(program, 'info').fatal({ problems: error.problems }, error.message);
    process.exit(1);
  }
}

/**
 * Stops a program gracefully on SIGTERM or SIGINT: `stop()` drains it, then the process
 * exits 0 (1 if stopping failed). A further signal while it drains is logged and
 * changes nothing: a terminal's Ctrl-C reaches both programs and their launcher, and a
 * second signal must not kill a program half-way through its drain, which its own
 * deadline bounds (the orchestrator's SIGKILL remains the last word).
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'already stopping: finishing in-flight calls first');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight calls');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
