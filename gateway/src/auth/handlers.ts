import type { Response } from 'express';
import type { components } from '../../../generated/openapi';
import type { OperationHandlers } from '../http/operations';
import { requestIdOf } from '../http/request-id';
import type { AuthClient } from './auth-client';
import { bearerTokenOf } from './bearer';
import { principalOf } from './principal';
import type { TokenValidator } from './token-validator';

type Credentials = components['schemas']['Credentials'];
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

/** Accounts and sessions: each route is one call to the auth service. */
export function authHandlers(deps: { auth: AuthClient; tokens: TokenValidator }): OperationHandlers {
  const { auth, tokens } = deps;
  return {
    register: async (req, res) => {
      const { username, password } = req.body as Credentials;
      await auth.register(username, password, requestIdOf(req));
      res.status(204).end();
    },
    login: async (req, res) => {
      const { username, password } = req.body as Credentials;
      sendTokenPair(res, await auth.login(username, password, requestIdOf(req)));
    },
    refresh: async (req, res) => {
      sendTokenPair(res, await auth.refresh(bearerTokenOf(res), requestIdOf(req)));
    },
    logout: async (req, res) => {
      try {
        await auth.logout(bearerTokenOf(res), requestIdOf(req));
      } finally {
        tokens.forgetSession(principalOf(res));
      }
      res.status(204).end();
    },
  };
}
