/**
 * Who is signed in: `GET /api/v1/session` answers the person, their roles, the actions the policy
 * allows them (`can`) and the CSRF token; 401 means nobody is. Pages and buttons ask `can(action)`
 * to hide what the role may not do; the API refuses it anyway.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { API_PREFIX, ApiError, apiFetch, setCsrfToken } from '../api/client';

export interface Session {
  actor: string;
  display_name: string | null;
  roles: string[];
  can: string[];
  csrf_token: string | null;
  via: 'password' | 'oidc' | 'token';
  expires_at: string | null;
}

export interface AuthConfig {
  password: boolean;
  oidc: { enabled: boolean; label: string | null };
}

async function fetchSession(): Promise<Session | null> {
  try {
    const res = await apiFetch(`${API_PREFIX}/session`);
    const s = (await res.json()) as Session;
    setCsrfToken(s.csrf_token);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw err;
  }
}

export const SESSION_KEY = ['session'] as const;

export function useSessionQuery() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000, retry: false });
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The signed-in person (inside the signed-in part of the application only). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Whether the signed-in person may do `action` (see src/domain/policy.ts). */
export function useCan(): (action: string) => boolean {
  const s = useSession();
  return (action) => s.can.includes(action);
}

export async function signIn(name: string, password: string): Promise<Session> {
  const res = await apiFetch(`${API_PREFIX}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
  const s = (await res.json()) as Session;
  setCsrfToken(s.csrf_token);
  return s;
}

export function useSignOut(): () => Promise<void> {
  const qc = useQueryClient();
  return async () => {
    try {
      await apiFetch(`${API_PREFIX}/session/logout`, { method: 'POST' });
    } finally {
      setCsrfToken(null);
      qc.clear();
      qc.setQueryData(SESSION_KEY, null);
    }
  };
}

export async function fetchAuthConfig(): Promise<AuthConfig> {
  const res = await apiFetch(`${API_PREFIX}/auth/config`);
  return (await res.json()) as AuthConfig;
}
