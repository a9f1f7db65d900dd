import { ConfigError } from '../../common/src/config';
import { createLogger } from '../../common/src/logger';
import { loadAuthConfig } from './config';
import { loggableError } from './loggable-error';
import { startAuthService } from './service';

/** Process entry: start, then stop gracefully on SIGTERM/SIGINT (exit 0) or fail loudly (exit 1). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadAuthConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger('auth-service', 'info').fatal({ problems: error.problems }, error.message);
    process.exit(1);
  }
  const logger = createLogger('auth-service', config.logLevel);
  const handle = await startAuthService(config, logger).catch((error: unknown) => {
    logger.fatal({ err: loggableError(error) }, 'auth service failed to start');
    process.exit(1);
  });

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping: finishing in-flight calls');
    handle.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: loggableError(error) }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
