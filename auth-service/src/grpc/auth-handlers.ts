import type { Logger } from 'pino';
import type { AuthServiceHandlers } from '../../../common/src/proto';
import type { SessionService } from '../sessions/session-service';
import type { AccountService, PasswordCall } from '../users/account-service';
import { unaryCall, type CallContext, type UnaryCallHooks } from './unary-call';

function passwordCall(context: CallContext): PasswordCall {
  return { client: context.client(), deadline: context.deadline(), signal: context.signal() };
}

/** The AuthService RPCs, as thin adapters from messages to the account and session services. */
export function authHandlers(
  accounts: AccountService,
  sessions: SessionService,
  logger: Logger,
  hooks: UnaryCallHooks,
): AuthServiceHandlers {
  return {
    Register: unaryCall('Register', logger, hooks, async (request, context) => ({
      userId: await accounts.register(request.username, request.password, passwordCall(context)),
    })),

    Login: unaryCall('Login', logger, hooks, async (request, context) => {
      const call = passwordCall(context);
      const userId = await accounts.authenticate(request.username, request.password, call);
      return sessions.open(userId, { clientAddress: call.client.address, userAgent: call.client.userAgent });
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
