/**
 * People and roles: the directory, and for administrators adding a person with roles chosen from
 * the known ones, changing a person's roles and removing a person (their tokens stop with them).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Dialog } from 'radix-ui';
import { useState, type FormEvent } from 'react';
import { workApi, type Person } from '../../api/work';
import { useCan, useSession } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge, Loading } from '../../components/Page';
import { Time } from '../../components/Time';
import { ConfirmButton } from '../work/ConfirmButton';
import { TableWrap } from '../work/TableWrap';
import { RolePicker } from './RolePicker';

function AddPerson({ known }: { known: readonly string[] }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const add = useMutation({
    mutationFn: () => workApi.addPerson(name.trim(), roles),
    onSuccess: async () => {
      setName('');
      setRoles([]);
      await qc.invalidateQueries({ queryKey: ['people'] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate();
  }
  return (
    <form className="form panel" onSubmit={submit} aria-labelledby="add-person-h">
      <h3 id="add-person-h">Add a person</h3>
      <label>
        Name
        <span className="hint">the name they sign in with, e.g. alice</span>
        <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
      </label>
      <RolePicker legend="Roles" known={known} chosen={roles} onChange={setRoles} />
      <div>
        <button type="submit" className="primary" disabled={add.isPending || name.trim() === '' || roles.length === 0}>
          Add person
        </button>
      </div>
      {add.isSuccess && (
        <p className="notice notice-ok" role="status">
          {add.data.name} was added with {add.data.roles.join(', ')}. Give them a set-password link: the Password link button in their row.
        </p>
      )}
      <ErrorNotice error={add.error} title="The person was not added" />
    </form>
  );
}

function ChangeRoles({ person, known }: { person: Person; known: readonly string[] }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [roles, setRoles] = useState(person.roles);
  const change = useMutation({
    mutationFn: () => workApi.setRoles(person.name, roles),
    onSuccess: async () => {
      setOpen(false);
      await qc.invalidateQueries({ queryKey: ['people'] });
    },
  });
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (o) setRoles(person.roles);
        change.reset();
      }}
    >
      <Dialog.Trigger asChild>
        <button type="button" className="small-button">
          Change roles of {person.name}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog-content">
          <Dialog.Title>Roles of {person.name}</Dialog.Title>
          <Dialog.Description className="muted">The new roles count from their next request.</Dialog.Description>
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              change.mutate();
            }}
          >
            <RolePicker legend="Roles" known={[...new Set([...known, ...person.roles])].sort()} chosen={roles} onChange={setRoles} />
            <ErrorNotice error={change.error} title="The roles were not changed" />
            <div className="button-row">
              <Dialog.Close asChild>
                <button type="button">Cancel</button>
              </Dialog.Close>
              <button type="submit" className="primary" disabled={change.isPending || roles.length === 0}>
                Save roles
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** The link's address on this server as the browser reaches it (the server may not know its public address). */
export function linkHere(url: string, origin: string): string {
  const u = new URL(url);
  return `${origin}${u.pathname}${u.search}`;
}

/** A one-time set-password link for a person, shown once with a Copy button. */
function PasswordLink({ person }: { person: Person }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const make = useMutation({ mutationFn: () => workApi.passwordLink(person.name) });
  const url = make.data === undefined ? null : linkHere(make.data.url, window.location.origin);
  return (
    <div>
      <button type="button" onClick={() => make.mutate()} disabled={make.isPending}>
        Password link<span className="visually-hidden"> for {person.name}</span>
      </button>
      {url !== null && make.data !== undefined && (
        <div className="notice notice-ok" role="status">
          <p>
            Send this link to {person.name}: it works once, until <Time at={make.data.expires_at} />, and is shown only now.
          </p>
          <p>
            <code className="secret">{url}</code>
          </p>
          <button
            type="button"
            onClick={() => {
              navigator.clipboard.writeText(url).then(
                () => setCopied('yes'),
                () => setCopied('failed'),
              );
            }}
          >
            Copy link
          </button>{' '}
          <span aria-live="polite">{copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'The browser refused to copy: select the link and copy it by hand.' : ''}</span>
        </div>
      )}
      <ErrorNotice error={make.error} title="No link was made" />
    </div>
  );
}

function RemovePerson({ person }: { person: Person }) {
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: async () => {
      await workApi.removePerson(person.name);
    },
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: ['people'] }), qc.invalidateQueries({ queryKey: ['tokens'] })]),
  });
  return (
    <ConfirmButton
      label={`Remove ${person.name}`}
      title={`Remove ${person.name}?`}
      consequence={`${person.name} can no longer sign in or act, and their API tokens are revoked. Their name stays in the audit log. You can add them back later.`}
      confirm={`Remove ${person.name}`}
      mutation={remove}
    />
  );
}

export function PeopleTab({ knownRoles }: { knownRoles: readonly string[] }) {
  const can = useCan();
  const session = useSession();
  const manage = can('people.manage');
  const [showRemoved, setShowRemoved] = useState(false);
  const people = useQuery({ queryKey: ['people', showRemoved], queryFn: () => workApi.people(showRemoved) });
  const known = knownRoles.length > 0 ? knownRoles : [...new Set(people.data?.people.flatMap((p) => p.roles) ?? [])].sort();
  return (
    <>
      <h2>People and roles</h2>
      {manage && <AddPerson known={known} />}
      <label className="check">
        <input type="checkbox" checked={showRemoved} onChange={(e) => setShowRemoved(e.target.checked)} /> Show removed people
      </label>
      {people.isPending && <Loading what="Reading the people directory" />}
      <ErrorNotice error={people.error} title="The people directory could not be read" />
      {people.data !== undefined && (
        <TableWrap label="People">
          <table aria-label="People">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Roles</th>
                <th scope="col">Signs in with</th>
                <th scope="col">Since</th>
                {manage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {people.data.people.map((p) => (
                <tr key={p.name}>
                  <th scope="row">
                    {p.name}
                    {p.display_name !== null && <div className="muted small">{p.display_name}</div>}
                    {p.removed_at !== null && (
                      <div>
                        <Badge tone="warn">removed</Badge> <Time at={p.removed_at} />
                      </div>
                    )}
                  </th>
                  <td>{p.roles.join(', ')}</td>
                  <td>{[p.has_password ? 'password' : null, p.oidc_subject !== null ? 'single sign-on' : null].filter((x) => x !== null).join(', ') || <span className="muted">not yet: no password set</span>}</td>
                  <td>
                    <Time at={p.created_at} dateOnly />
                  </td>
                  {manage && (
                    <td>
                      {p.removed_at === null && (
                        <div className="button-row">
                          <ChangeRoles person={p} known={known} />
                          <PasswordLink person={p} />
                          {p.name !== session.actor && <RemovePerson person={p} />}
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {manage && (
        <p className="hint">
          A set-password link works once, for 24 hours (also from the command line: <code>closeloop people passwd NAME --link</code>).
        </p>
      )}
    </>
  );
}
