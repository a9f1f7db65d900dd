import type { Logger } from 'pino';
import type { AuthServiceHandlers } from '../../../common/src/proto';
import { PermissionDeniedError } from '../errors';
import type { Principal, SessionService } from '../sessions/session-service';
import type { AccountService, PasswordCall } from '../users/account-service';
import { unaryCall, type CallContext, type UnaryCallHooks } from './unary-call';

function passwordCall(context: CallContext): PasswordCall {
  return { client: context.client(), deadline: context.deadline(), signal: context.signal() };
}

/** The operator's calls over gRPC: only an ADMIN's access token may make them. */
function assertAdmin(principal: Principal): void {
  if (principal.role !== 'ADMIN') throw new PermissionDeniedError('only an ADMIN may change the status of an account');
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
      const account = await accounts.authenticate(request.username, request.password, call);
      return sessions.open(account, { clientAddress: call.client.address, userAgent: call.client.userAgent });
    }),

    Refresh: unaryCall('Refresh', logger, hooks, (request, context) =>
      sessions.refresh(request.refreshToken, context.logger),
    ),

    Logout: unaryCall('Logout', logger, hooks, async (request) => {
      await sessions.logout(request.accessToken);
      return {};
    }),

    ValidateToken: unaryCall('ValidateToken', logger, hooks, (request) => sessions.validate(request.accessToken)),

    ChangePassword: unaryCall('ChangePassword', logger, hooks, async (request, context) => {
      const caller = await sessions.validate(request.accessToken);
      await accounts.changePassword(caller, request.currentPassword, request.newPassword, passwordCall(context));
      sessions.forgetAllOf(caller.userId, caller.sessionId);
      return { userId: caller.userId, keptSessionId: caller.sessionId };
    }),

    ListSessions: unaryCall('ListSessions', logger, hooks, async (request) => {
      const caller = await sessions.validate(request.accessToken);
      const listed = await sessions.list(caller);
      return {
        sessions: listed.map((session) => ({
          id: session.id,
          createdAtMs: session.createdAt.getTime(),
          lastUsedAtMs: session.lastUsedAt.getTime(),
          clientAddress: session.clientAddress ?? '',
          userAgent: session.userAgent ?? '',
          current: session.current,
        })),
      };
    }),

    EndSession: unaryCall('EndSession', logger, hooks, async (request) => {
      const caller = await sessions.validate(request.accessToken);
      await sessions.end(caller, request.sessionId);
      return {};
    }),

    LogoutAll: unaryCall('LogoutAll', logger, hooks, async (request) => {
      const caller = await sessions.validate(request.accessToken);
      await sessions.endAllOf(caller.userId, 'logout_all');
      return { userId: caller.userId };
    }),

    DisableAccount: unaryCall('DisableAccount', logger, hooks, async (request) => {
      assertAdmin(await sessions.validate(request.accessToken));
      const account = await accounts.setDisabled(request.username, true);
      sessions.forgetAllOf(account.userId);
      return account;
    }),

    EnableAccount: unaryCall('EnableAccount', logger, hooks, async (request) => {
      assertAdmin(await sessions.validate(request.accessToken));
      return accounts.setDisabled(request.username, false);
    }),
  };
}
