import type { Response } from 'express';
import type { components } from '../../../generated/openapi';
import type { OperationHandlers } from '../http/operations';
import type { AuthClient } from './auth-client';
import { bearerTokenOf, principalOf } from './bearer';
import { callerOf } from './caller';
import type { TokenValidator } from './token-validator';

type TokenPair = components['schemas']['TokenPair'];

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

type AuthOperations = 'register' | 'login' | 'refresh' | 'logout';

/** Accounts and sessions: each route is one call to the auth service. */
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
      sendTokenPair(res, await auth.refresh(token, callerOf(req)));
    },
    logout: async (req, res) => {
      try {
        await auth.logout(bearerTokenOf(res), callerOf(req));
      } finally {
        tokens.forgetSession(principalOf(res));
      }
      res.status(204).end();
    },
  };
}
