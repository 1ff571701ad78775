/**
 * The audit log, newest first: filters (incident, actor, action, entity, from/to) in the query
 * string, a page at a time, each event's record expandable; and the verification of the hash
 * chain, its result in words.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import { workApi, type AuditEvent } from '../api/work';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading, Page, Pager } from '../components/Page';
import { Time } from '../components/Time';
import { chainWords, fromLocalInput, toLocalInput } from './work/derive';
import { FilterForm, type FilterField } from './work/FilterForm';
import { useCursorPages, useUrlFilters } from './work/paging';

const FILTERS = ['incident', 'actor', 'action', 'entity_type', 'entity_id', 'from', 'to'] as const;
const FILTER_FIELDS: readonly FilterField[] = [
  { name: 'incident', label: 'Incident', placeholder: 'e.g. INC-2026-0001' },
  { name: 'actor', label: 'Actor', placeholder: 'e.g. alice' },
  { name: 'action', label: 'Action starts with', placeholder: 'e.g. risk.' },
  { name: 'entity_type', label: 'Entity type', placeholder: 'e.g. incident' },
  { name: 'entity_id', label: 'Entity id' },
  { name: 'from', label: 'From (your time)', type: 'datetime-local' },
  { name: 'to', label: 'To (your time)', type: 'datetime-local' },
];

function VerifyChain() {
  const verify = useMutation({ mutationFn: workApi.verifyAudit });
  return (
    <div className="verify">
      <button type="button" className="primary" disabled={verify.isPending} onClick={() => verify.mutate()}>
        {verify.isPending ? 'Verifying the chain…' : 'Verify the chain'}
      </button>
      <div aria-live="polite">
        {verify.data !== undefined && (
          <p className={verify.data.ok ? 'notice notice-ok' : 'notice notice-error'} role="status">
            {chainWords(verify.data)}
          </p>
        )}
      </div>
      <ErrorNotice error={verify.error} title="The chain could not be verified" />
    </div>
  );
}

function EventRow({ e }: { e: AuditEvent }) {
  const [open, setOpen] = useState(false);
  const detailId = `event-${e.seq}-detail`;
  return (
    <Fragment>
      <tr>
        <th scope="row">{e.seq}</th>
        <td>
          <Time at={e.at} />
        </td>
        <td>{e.actor}</td>
        <td>
          <code>{e.action}</code>
        </td>
        <td>
          {e.entity.type} {e.entity.id}
        </td>
        <td>{e.incident === null ? <span className="muted">—</span> : <Link to={`/incidents/${encodeURIComponent(e.incident)}`}>{e.incident}</Link>}</td>
        <td>
          <button type="button" className="small-button" aria-expanded={open} aria-controls={detailId} aria-label={`${open ? 'Hide' : 'Show'} event ${e.seq}`} onClick={() => setOpen(!open)}>
            {open ? 'Hide' : 'Show'}
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailId}>
          <td colSpan={7}>
            <p className="small muted">The chain keeps the SHA-256 digest of the entity's state after the change, linked to the previous event's hash.</p>
            <pre>{JSON.stringify(e, null, 2)}</pre>
          </td>
        </tr>
      )}
    </Fragment>
  );
}

export default function Audit() {
  const can = useCan();
  const [filters, setFilters] = useUrlFilters(FILTERS);
  const pages = useCursorPages(JSON.stringify(filters));
  const readable = can('audit.read');
  const log = useQuery({
    queryKey: ['audit', filters, pages.after],
    enabled: readable,
    queryFn: () =>
      workApi.auditEvents({
        incident: filters.incident,
        actor: filters.actor,
        action: filters.action,
        entity_type: filters.entity_type,
        entity_id: filters.entity_id,
        from: filters.from,
        to: filters.to,
        before: pages.after,
      }),
  });
  const formValues = { ...filters, from: toLocalInput(filters.from), to: toLocalInput(filters.to) };
  const events = log.data?.events ?? [];
  return (
    <Page title="Audit" actions={can('audit.verify') ? <VerifyChain /> : undefined}>
      {!readable ? (
        <p>Your roles may verify the chain but not read the events.</p>
      ) : (
        <>
          <FilterForm
            fields={FILTER_FIELDS}
            values={formValues}
            onApply={(v) => setFilters({ ...v, from: fromLocalInput(v.from ?? ''), to: fromLocalInput(v.to ?? '') })}
          />
          {log.isPending && <Loading what="Reading the audit log" />}
          <ErrorNotice error={log.error} title="The audit log could not be read" />
          {log.data !== undefined && (
            <>
              <p className="muted" role="status">
                {events.length === 0 ? 'No event matches.' : `Events ${events[0]?.seq} to ${events[events.length - 1]?.seq}, newest first.`}
              </p>
              {events.length > 0 && (
                <div className="table-wrap">
                  <table aria-label="Audit events">
                    <thead>
                      <tr>
                        <th scope="col">Seq</th>
                        <th scope="col">When</th>
                        <th scope="col">Actor</th>
                        <th scope="col">Action</th>
                        <th scope="col">Entity</th>
                        <th scope="col">Incident</th>
                        <th scope="col">Record</th>
                      </tr>
                    </thead>
                    <tbody>
                      {events.map((e) => (
                        <EventRow key={e.seq} e={e} />
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              {(pages.hasPrevious || log.data.next !== null) && (
                <Pager hasPrevious={pages.hasPrevious} next={log.data.next === null ? null : String(log.data.next)} onPrevious={pages.previous} onNext={pages.next} />
              )}
            </>
          )}
        </>
      )}
    </Page>
  );
}
