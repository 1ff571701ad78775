/**
 * An error shown in words, with what to do next: the server's own message (it already says what to
 * do), the fields it named, and a next step chosen by the kind of error.
 */
import { ApiError } from '../api/client';

const NEXT: Record<string, string> = {
  CL_UNAUTHENTICATED: 'Sign in again.',
  CL_FORBIDDEN: 'Ask an administrator for a role that allows this, or ask someone who holds it.',
  CL_NOT_FOUND: 'Check the id, or go back to the list.',
  CL_CONFLICT: 'Someone changed this meanwhile: reload the page and try again.',
  CL_INVALID_TRANSITION: 'Reload the page to see the current state.',
  CL_GATE_REFUSED: 'Complete the missing items listed, then close again.',
  CL_UNAVAILABLE: 'The database is busy or unreachable: wait a moment and try again.',
  CL_STORAGE_FULL: 'The server disk is full: tell the operator; nothing was changed.',
  CL_RATE_LIMITED: 'Wait a minute before trying again.',
  NETWORK: 'Check your connection, then try again.',
};

export function describeError(err: unknown): { message: string; next: string | null; fields: { field: string; message: string }[] } {
  if (err instanceof ApiError) {
    const next = NEXT[err.code] ?? (err.status === 429 ? NEXT.CL_RATE_LIMITED! : err.status >= 500 ? 'Try again; if it keeps failing, tell the operator (the server log has the details).' : null);
    return { message: err.message, next: next ?? null, fields: err.fields };
  }
  return { message: err instanceof Error ? err.message : String(err), next: 'Reload the page and try again.', fields: [] };
}

export function ErrorNotice({ error, title = 'That did not work' }: { error: unknown; title?: string }) {
  if (error === null || error === undefined) return null;
  const d = describeError(error);
  return (
    <div role="alert" className="notice notice-error">
      <strong>{title}:</strong> {d.message}
      {d.fields.length > 0 && (
        <ul>
          {d.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {d.next !== null && <p className="next">{d.next}</p>}
    </div>
  );
}
