/**
 * The sign-in form: shown at any address while nobody is signed in, so that after signing in the
 * person lands on the page they asked for. Single sign-on is offered when the server has it.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useLocation } from 'react-router';
import { fetchAuthConfig, SESSION_KEY, signIn } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';

export default function SignIn() {
  const qc = useQueryClient();
  const location = useLocation();
  const config = useQuery({ queryKey: ['auth-config'], queryFn: fetchAuthConfig, staleTime: Infinity, retry: false });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ssoError = new URLSearchParams(location.search).get('error');

  useEffect(() => {
    document.title = 'Sign in · closeloop';
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await signIn(name.trim(), password);
      qc.setQueryData(SESSION_KEY, s);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const returnTo = location.pathname === '/' ? '/work' : location.pathname + location.search;
  return (
    <main id="main" className="signin">
      <h1>Sign in to closeloop</h1>
      <p className="muted">The system of record for incident report-outs and vulnerability response.</p>
      {ssoError !== null && (
        <div role="alert" className="notice notice-error">
          Single sign-on did not work: {ssoError}
        </div>
      )}
      <form onSubmit={(e) => void submit(e)} className="form" aria-label="Sign in">
        <label>
          User name
          <input name="username" autoComplete="username" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <ErrorNotice error={error} title="Could not sign in" />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {config.data?.oidc.enabled === true && (
        <p>
          <a className="button" href={`/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`}>
            {config.data.oidc.label ?? 'Sign in with single sign-on'}
          </a>
        </p>
      )}
      <p className="muted small">
        No password yet? Ask an administrator for a set-password link (Settings, People).
      </p>
    </main>
  );
}
