import type { Response } from 'express';
import type { components } from '../../../generated/openapi';
import type { OperationHandlers } from '../http/operations';
import { ProblemError } from '../http/problem';
import type { AuthClient } from './auth-client';
import { bearerTokenOf, principalOf } from './bearer';
import { callerOf } from './caller';
import { endedSessionOf } from './grpc-errors';
import type { TokenValidator } from './token-validator';

type TokenPair = components['schemas']['TokenPair'];
type SessionList = components['schemas']['SessionList'];
type AccountStatus = components['schemas']['AccountStatus'];

interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

function sendTokenPair(res: Response, tokens: IssuedTokens): void {
  const body: TokenPair = {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: 'Bearer',
    expiresIn: Number(tokens.expiresIn),
  };
  // Tokens are credentials: no cache may keep them (RFC 6749 §5.1).
  res.setHeader('Cache-Control', 'no-store');
  res.json(body);
}

/**
 * Runs a bcrypt-bound call (register, login) so that it is cancelled if the client goes
 * away first: the auth service then drops it from its bcrypt queue instead of spending a
 * hash on an answer nobody reads (clients that time out and retry would otherwise pile
 * up work). Once the client is gone there is no one to answer, so nothing is sent.
 */
async function whileClientWaits(res: Response, call: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort();
  };
  res.once('close', onClose);
  try {
    await call(gone.signal);
  } catch (error) {
    if (!gone.signal.aborted) throw error;
  } finally {
    res.removeListener('close', onClose);
  }
}

/**
 * Runs an auth call that ends sessions; whatever its answer (a failure may have ended them
 * too), the gateway stops trusting its cached tokens of those sessions.
 */
async function endingSessions(call: Promise<unknown>, forget: () => void): Promise<void> {
  try {
    await call;
  } finally {
    forget();
  }
}

type AuthOperations =
  | 'register'
  | 'login'
  | 'refresh'
  | 'logout'
  | 'changePassword'
  | 'listSessions'
  | 'endSession'
  | 'logoutAll'
  | 'setAccountStatus';

/** Milliseconds since the epoch as the contract's timestamp. */
const isoTime = (ms: number) => new Date(ms).toISOString();

/**
 * Accounts and sessions: each route is one call to the auth service. A call that ends
 * sessions also evicts them from this gateway's token cache, so they end here at once
 * (other replicas: within TOKEN_CACHE_TTL_MS).
 */
export function authHandlers(deps: {
  auth: AuthClient;
  tokens: TokenValidator;
}): Pick<OperationHandlers, AuthOperations> {
  const { auth, tokens } = deps;
  return {
    register: async (req, res) => {
      const { username, password } = req.body;
      await whileClientWaits(res, async (signal) => {
        await auth.register(username, password, callerOf(req), signal);
        res.status(204).end();
      });
    },
    login: async (req, res) => {
      const { username, password } = req.body;
      await whileClientWaits(res, async (signal) => {
        sendTokenPair(res, await auth.login(username, password, callerOf(req, { userAgent: true }), signal));
      });
    },
    refresh: async (req, res) => {
      // The body's token wins: a generated client may send its access token on every request.
      const token = req.body?.refreshToken ?? bearerTokenOf(res);
      try {
        sendTokenPair(res, await auth.refresh(token, callerOf(req)));
      } catch (error) {
        // A reused refresh token ended its session: its access tokens stop here at once.
        const ended = endedSessionOf(error);
        if (ended) tokens.forgetSession(ended);
        throw error;
      }
    },
    logout: async (req, res) => {
      await endingSessions(auth.logout(bearerTokenOf(res), callerOf(req)), () =>
        tokens.forgetSession(principalOf(res).sessionId),
      );
      res.status(204).end();
    },
    changePassword: async (req, res) => {
      const caller = principalOf(res);
      await whileClientWaits(res, async (signal) => {
        // Even if the client left before the answer, none of the other sessions is reused from memory.
        await endingSessions(auth.changePassword(bearerTokenOf(res), req.body, callerOf(req), signal), () =>
          tokens.forgetUser(caller.userId, caller.sessionId),
        );
        res.status(204).end();
      });
    },
    listSessions: async (req, res) => {
      const { sessions } = await auth.listSessions(bearerTokenOf(res), callerOf(req));
      const body: SessionList = {
        data: sessions.map((session) => ({
          id: session.id,
          createdAt: isoTime(Number(session.createdAtMs)),
          lastUsedAt: isoTime(Number(session.lastUsedAtMs)),
          clientAddress: session.clientAddress || null,
          userAgent: session.userAgent || null,
          current: session.current,
        })),
      };
      res.setHeader('Cache-Control', 'no-store');
      res.json(body);
    },
    endSession: async (req, res) => {
      const { sessionId } = req.params;
      await auth.endSession(bearerTokenOf(res), sessionId, callerOf(req));
      tokens.forgetSession(sessionId);
      res.status(204).end();
    },
    logoutAll: async (req, res) => {
      await endingSessions(auth.logoutAll(bearerTokenOf(res), callerOf(req)), () =>
        tokens.forgetUser(principalOf(res).userId),
      );
      res.status(204).end();
    },
    setAccountStatus: async (req, res) => {
      if (principalOf(res).role !== 'ADMIN') {
        throw new ProblemError('forbidden', 'Only an ADMIN may change the status of an account.');
      }
      const { status } = req.body;
      const { username } = req.params;
      const caller = callerOf(req);
      const account =
        status === 'DISABLED'
          ? await auth.disableAccount(bearerTokenOf(res), username, caller)
          : await auth.enableAccount(bearerTokenOf(res), username, caller);
      if (status === 'DISABLED') tokens.forgetUser(account.userId);
      const body: AccountStatus = { username: account.username, status };
      res.json(body);
    },
  };
}
