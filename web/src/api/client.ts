// The one way the app speaks to the shop: the gateway's REST API, typed from its OpenAPI
// document (schema.d.ts, generated: `npm run api`). The access token lives in memory only.
import createClient, { type Middleware } from 'openapi-fetch';

import type { components, paths } from './schema';
import { ApiError } from './problem';

export type Schemas = components['schemas'];

let accessToken_: string | null = null;

/** The signed-in session's access token (memory only: never storage a script could read). */
export function setAccessToken(token: string | null): void {
  accessToken_ = token;
}

/** The access token, for the few requests made outside this client (file transfers). */
export function accessToken(): string | null {
  return accessToken_;
}

const authorize: Middleware = {
  onRequest({ request }) {
    if (accessToken_ !== null) {
      request.headers.set('Authorization', `Bearer ${accessToken_}`);
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: '/' });
api.use(authorize);

/** The data of a successful answer, or an `ApiError` carrying the problem document. */
export async function data<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data: body, error, response } = await call;
  if (!response.ok || body === undefined) {
    throw new ApiError(response.status, error ?? null);
  }
  return body;
}
