import { createLogger } from '../../common/src/logger';
import { configOrExit, stopOnSignals } from '../../common/src/program';
import { loadAuthConfig } from './config';
import { loggableError } from './loggable-error';
import { startAuthService } from './service';

/** Process entry: start, then stop gracefully on SIGTERM/SIGINT (exit 0) or fail loudly (exit 1). */
async function main(): Promise<void> {
  const config = configOrExit('auth-service', () => loadAuthConfig());
  const logger = createLogger('auth-service', config.logLevel);
  const handle = await startAuthService(config, logger).catch((error: unknown) => {
    logger.fatal({ err: loggableError(error) }, 'auth service failed to start');
    process.exit(1);
  });

  stopOnSignals(logger, () => handle.stop());
}

void main();
