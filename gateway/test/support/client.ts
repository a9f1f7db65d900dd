import createClient from 'openapi-fetch';
import type { paths } from '../../../generated/openapi';

/** The typed client generated from openapi.yaml (openapi-typescript types + openapi-fetch). */
export type ApiClient = ReturnType<typeof createClient<paths>>;

export function createApiClient(baseUrl: string, headers: Record<string, string> = {}): ApiClient {
  return createClient<paths>({ baseUrl, headers });
}
