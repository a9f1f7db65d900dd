import type { Logger } from 'pino';
import type { AuthServiceHandlers } from '../../../common/src/proto';
import type { SessionService } from '../sessions/session-service';
import type { AccountService } from '../users/account-service';
import { unaryCall, type UnaryCallHooks } from './unary-call';

/** The AuthService RPCs, as thin adapters from messages to the account and session services. */
export function authHandlers(
  accounts: AccountService,
  sessions: SessionService,
  logger: Logger,
  hooks: UnaryCallHooks,
): AuthServiceHandlers {
  return {
    Register: unaryCall('Register', logger, hooks, async (request, context) => ({
      userId: await accounts.register(request.username, request.password, context.signal()),
    })),

    Login: unaryCall('Login', logger, hooks, async (request, context) => {
      const userId = await accounts.authenticate(request.username, request.password, context.signal());
      return sessions.open(userId);
    }),

    Refresh: unaryCall('Refresh', logger, hooks, (request, context) =>
      sessions.refresh(request.refreshToken, context.logger),
    ),

    Logout: unaryCall('Logout', logger, hooks, async (request) => {
      await sessions.logout(request.accessToken);
      return {};
    }),

    ValidateToken: unaryCall('ValidateToken', logger, hooks, (request) => sessions.validate(request.accessToken)),
  };
}
