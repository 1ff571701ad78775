/** The page a one-time set-password link opens: choose a password, then sign in. */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { API_PREFIX, apiFetch } from '../api/client';
import { ErrorNotice } from '../components/ErrorNotice';

export const MIN_PASSWORD = 12;

export default function SetPassword() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  useEffect(() => {
    document.title = 'Set your password · closeloop';
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (password !== again) {
      setError(new Error('the two passwords differ: type the same password twice'));
      return;
    }
    try {
      await apiFetch(`${API_PREFIX}/password-links/${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) });
      setDone(true);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <main id="main" className="signin">
      <h1>Set your password</h1>
      {token === '' && <p role="alert">This address has no link token: open the whole link you were sent.</p>}
      {done ? (
        <p role="status">
          Your password is set. <Link to="/">Sign in</Link>.
        </p>
      ) : (
        <form onSubmit={(e) => void submit(e)} className="form" aria-label="Set password">
          <label>
            New password (at least {MIN_PASSWORD} characters)
            <input type="password" autoComplete="new-password" required minLength={MIN_PASSWORD} value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <label>
            The same password again
            <input type="password" autoComplete="new-password" required minLength={MIN_PASSWORD} value={again} onChange={(e) => setAgain(e.target.value)} />
          </label>
          <ErrorNotice error={error} title="The password was not set" />
          <button type="submit" className="primary" disabled={token === ''}>
            Set password
          </button>
        </form>
      )}
    </main>
  );
}
