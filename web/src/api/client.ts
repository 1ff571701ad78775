/**
 * The typed API client: openapi-fetch over the types generated from the server's OpenAPI document
 * (schema.d.ts). Requests carry the session cookie (same origin); every state-changing request
 * carries the session's CSRF token. An error answer becomes an ApiError that keeps the server's
 * code, words and the fields it named, for ErrorNotice to show.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export const API_PREFIX = '/api/v1';

/** An error the API answered with: `{ code, message, details }`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The fields the server named as bad, if any. */
  get fields(): { field: string; message: string }[] {
    const f = this.details.fields;
    return Array.isArray(f) ? (f as { field: string; message: string }[]) : [];
  }
}

let csrfToken: string | null = null;

/** Set from the session (GET /api/v1/session); sent as `x-csrf-token` on every change. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrf: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method) && csrfToken !== null) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

/** Turns an error body into an ApiError (also for bodies that are not the API's error shape). */
export async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.clone().json();
  } catch {
    // not JSON: a proxy's page, a dropped connection
  }
  // the API answers `{ code, message, details }` (src/api/errors.ts); `{ error: { … } }` is read too
  type Body = { code?: string; message?: string; details?: Record<string, unknown> };
  const b = body as (Body & { error?: Body }) | null;
  const e = typeof b?.error === 'object' && b.error !== null ? b.error : b;
  if (typeof e?.message === 'string' && e.message !== '') return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message, e.details ?? {});
  return new ApiError(res.status, `HTTP_${res.status}`, `the server answered ${res.status} ${res.statusText}`);
}

const throwOnError: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await errorFrom(response);
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf, throwOnError);

/** fetch for the few routes outside the typed document (sign-in, uploads): same cookie, CSRF and errors. */
export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const method = (init.method ?? 'GET').toUpperCase();
  if (UNSAFE.has(method) && csrfToken !== null) headers.set('x-csrf-token', csrfToken);
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the server cannot be reached; check your connection and try again');
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** Unwraps an openapi-fetch result whose errors were already thrown by the middleware. */
export function data<T>(r: { data?: T }): T {
  if (r.data === undefined) throw new ApiError(0, 'EMPTY', 'the server sent no answer; try again');
  return r.data;
}
