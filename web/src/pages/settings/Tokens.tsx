/**
 * API tokens: the list (never a token itself), creating one for a person with an optional label
 * and expiry — the token is shown once, with a copy button — and revoking one.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { workApi, type ApiToken } from '../../api/work';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge, Loading } from '../../components/Page';
import { Time } from '../../components/Time';
import { ConfirmButton } from '../work/ConfirmButton';

/** A token's state in words: revoked, expired or active. */
export function tokenState(t: ApiToken, now: Date = new Date()): 'revoked' | 'expired' | 'active' {
  if (t.revoked_at !== null) return 'revoked';
  if (t.expires_at !== null && Date.parse(t.expires_at) <= now.getTime()) return 'expired';
  return 'active';
}

function ShownOnce({ token, id }: { token: string; id: string }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  return (
    <div className="notice notice-ok" role="status">
      <p>
        Token {id} was created. Copy it now: it is shown only this once and cannot be read again.
      </p>
      <p>
        <code className="secret" aria-label={`token ${id}`}>
          {token}
        </code>
      </p>
      <button
        type="button"
        onClick={() => {
          navigator.clipboard.writeText(token).then(
            () => setCopied('yes'),
            () => setCopied('failed'),
          );
        }}
      >
        Copy token
      </button>{' '}
      <span aria-live="polite">{copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'The browser refused to copy: select the token and copy it by hand.' : ''}</span>
    </div>
  );
}

function CreateToken({ actors }: { actors: readonly string[] }) {
  const qc = useQueryClient();
  const [actor, setActor] = useState('');
  const [label, setLabel] = useState('');
  const [expires, setExpires] = useState('90d');
  const create = useMutation({
    mutationFn: () => workApi.createToken({ actor, label: label.trim() === '' ? undefined : label.trim(), expires: expires.trim() === '' ? undefined : expires.trim() }),
    onSuccess: async () => {
      setLabel('');
      await qc.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }
  return (
    <form className="form panel" onSubmit={submit} aria-labelledby="create-token-h">
      <h3 id="create-token-h">Create a token</h3>
      <label>
        Person <span className="hint">the token acts for them, with their roles</span>
        <select value={actor} onChange={(e) => setActor(e.target.value)} required>
          <option value="">choose a person</option>
          {actors.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </label>
      <label>
        Label <span className="hint">what it is for, e.g. scanner upload</span>
        <input value={label} onChange={(e) => setLabel(e.target.value)} />
      </label>
      <label>
        Expires <span className="hint">a number of days such as 90d, or a date as YYYY-MM-DD; empty: never</span>
        <input value={expires} onChange={(e) => setExpires(e.target.value)} />
      </label>
      <div>
        <button type="submit" className="primary" disabled={create.isPending || actor === ''}>
          Create token
        </button>
      </div>
      {create.isSuccess && <ShownOnce token={create.data.token} id={create.data.id} />}
      <ErrorNotice error={create.error} title="The token was not created" />
    </form>
  );
}

function Revoke({ token }: { token: ApiToken }) {
  const qc = useQueryClient();
  const revoke = useMutation({
    mutationFn: async () => {
      await workApi.revokeToken(token.id);
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
  return (
    <ConfirmButton
      label={`Revoke ${token.id}`}
      title={`Revoke token ${token.id}?`}
      consequence={`Every request with ${token.id}${token.label !== null ? ` (${token.label})` : ''} for ${token.actor} is refused from now on. This cannot be undone; create a new token if it is needed again.`}
      confirm={`Revoke ${token.id}`}
      mutation={revoke}
    />
  );
}

export function TokensTab() {
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: workApi.tokens });
  const people = useQuery({ queryKey: ['people', false], queryFn: () => workApi.people(false) });
  const actors = (people.data?.people ?? []).map((p) => p.name);
  return (
    <>
      <h2>API tokens</h2>
      <CreateToken actors={actors} />
      <ErrorNotice error={people.error} title="The people directory could not be read" />
      {tokens.isPending && <Loading what="Reading the tokens" />}
      <ErrorNotice error={tokens.error} title="The tokens could not be read" />
      {tokens.data !== undefined && (
        <div className="table-wrap">
          <table aria-label="API tokens">
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">For</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.tokens.map((t) => {
                const state = tokenState(t);
                return (
                  <tr key={t.id}>
                    <th scope="row">
                      {t.id}
                      {t.label !== null && <div className="muted small">{t.label}</div>}
                    </th>
                    <td>{t.actor}</td>
                    <td>
                      <Badge tone={state === 'active' ? 'good' : state === 'expired' ? 'warn' : 'neutral'}>{state}</Badge>
                      {t.revoked_at !== null && (
                        <div className="small">
                          <Time at={t.revoked_at} />
                        </div>
                      )}
                    </td>
                    <td>
                      <Time at={t.created_at} />
                    </td>
                    <td>{t.expires_at === null ? <span className="muted">never</span> : <Time at={t.expires_at} />}</td>
                    <td>{t.last_used_at === null ? <span className="muted">never</span> : <Time at={t.last_used_at} />}</td>
                    <td>{state === 'active' && <Revoke token={t} />}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
