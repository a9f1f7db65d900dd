import { ConfigError } from '../../common/src/config';
import { createLogger } from '../../common/src/logger';
import { loadGatewayConfig } from './config';
import { startGateway } from './server';

/** The gateway process: start, log where the docs are, stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger('gateway', 'info').fatal(error.message);
    process.exit(1);
  }
  const logger = createLogger('gateway', config.logLevel);
  if (config.database.client === 'sqlite') {
    logger.warn(
      { file: config.database.filename },
      'orders database: embedded SQLite file (set ORDERS_DATABASE_URL for MySQL)',
    );
  }
  const gateway = await startGateway(config, logger);
  logger.info(
    { port: gateway.port, authService: config.auth.address, docs: `http://localhost:${gateway.port}/docs` },
    `gateway listening; API docs at http://localhost:${gateway.port}/docs`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'gateway stopping');
    gateway.stop().then(
      () => {
        logger.info('gateway stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'gateway did not stop cleanly');
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal while stopping must not kill the process half-way.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  createLogger('gateway', 'info').fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
});
