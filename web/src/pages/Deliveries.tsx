/**
 * Deliveries: every outbox message (filters state and incident in the query string), a message's
 * attempts in a dialog, and the failed ones (the dead letter) put back in the queue by those who
 * may retry deliveries.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Dialog } from 'radix-ui';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { DELIVERY_STATES, workApi, type Delivery } from '../api/work';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Loading, Page, Pager } from '../components/Page';
import { Time } from '../components/Time';
import { deliveryTone, stateLabel } from './work/derive';
import { FilterForm, type FilterField } from './work/FilterForm';
import { TableWrap } from './work/TableWrap';
import { useCursorPages, useUrlFilters } from './work/paging';

const FILTERS = ['state', 'incident'] as const;
const FILTER_FIELDS: readonly FilterField[] = [
  { name: 'state', label: 'State', options: [{ value: '', label: 'any' }, ...DELIVERY_STATES.map((s) => ({ value: s, label: stateLabel(s) }))] },
  { name: 'incident', label: 'Incident', placeholder: 'e.g. INC-2026-0001' },
];

function RetryButton({ delivery }: { delivery: Delivery }) {
  const qc = useQueryClient();
  const retry = useMutation({
    mutationFn: () => workApi.retryDelivery(delivery.id),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: ['deliveries'] }), qc.invalidateQueries({ queryKey: ['delivery', delivery.id] })]),
  });
  return (
    <>
      <button type="button" className="primary" disabled={retry.isPending} onClick={() => retry.mutate()}>
        Retry {delivery.id}
      </button>
      {retry.isSuccess && (
        <p className="notice notice-ok" role="status">
          {delivery.id} is back in the queue.
        </p>
      )}
      <ErrorNotice error={retry.error} title={`${delivery.id} was not retried`} />
    </>
  );
}

function Attempts({ id }: { id: string }) {
  const can = useCan();
  const detail = useQuery({ queryKey: ['delivery', id], queryFn: () => workApi.delivery(id) });
  if (detail.isPending) return <Loading what="Reading the attempts" />;
  if (detail.isError) return <ErrorNotice error={detail.error} title="The message could not be read" />;
  const { delivery: d, attempts } = detail.data;
  return (
    <>
      <dl className="facts">
        <dt>State</dt>
        <dd>
          <Badge tone={deliveryTone(d.status)}>{stateLabel(d.status)}</Badge>
        </dd>
        <dt>Purpose</dt>
        <dd>{d.purpose}</dd>
        <dt>To</dt>
        <dd>
          {d.role} by {d.channel} ({d.address})
        </dd>
        <dt>Subject</dt>
        <dd>{d.subject}</dd>
        <dt>Queued</dt>
        <dd>
          <Time at={d.created_at} />
        </dd>
        {d.delivered_at !== null && (
          <>
            <dt>Delivered</dt>
            <dd>
              <Time at={d.delivered_at} />
            </dd>
          </>
        )}
        {d.proof !== null && (
          <>
            <dt>Proof</dt>
            <dd>
              {d.proof.status !== undefined && `status ${d.proof.status} `}
              {d.proof.response}
              {d.proof.ticket !== undefined && ` ticket ${d.proof.ticket.key}`}
            </dd>
          </>
        )}
        {d.last_error !== null && (
          <>
            <dt>Last error</dt>
            <dd>{d.last_error}</dd>
          </>
        )}
      </dl>
      <h3>Attempts ({attempts.length})</h3>
      {attempts.length === 0 ? (
        <p className="empty">No attempt yet.</p>
      ) : (
        <TableWrap label="Attempts">
          <table aria-label="Attempts">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Outcome</th>
                <th scope="col">Code</th>
                <th scope="col">Answer or error</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={a.attempt}>
                  <td>{a.attempt}</td>
                  <td>
                    <Time at={a.at} />
                  </td>
                  <td>
                    <Badge tone={a.outcome === 'delivered' ? 'good' : 'bad'}>{a.outcome}</Badge>
                  </td>
                  <td>{a.status ?? '—'}</td>
                  <td className="wide-cell">{a.detail ?? a.message_id ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {d.status === 'failed' && can('delivery.retry') && <RetryButton delivery={d} />}
    </>
  );
}

export default function Deliveries() {
  const can = useCan();
  const [filters, setFilters] = useUrlFilters(FILTERS);
  const pages = useCursorPages(JSON.stringify(filters));
  const [open, setOpen] = useState<string | null>(null);
  // the button that opened the dialog gets the focus back when it closes
  const opener = useRef<HTMLButtonElement | null>(null);
  const list = useQuery({
    queryKey: ['deliveries', filters, pages.after],
    queryFn: () => workApi.deliveries({ state: filters.state, incident: filters.incident, after: pages.after }),
  });
  const rows = list.data?.deliveries ?? [];
  const failed = rows.filter((r) => r.status === 'failed').length;
  return (
    <Page title="Deliveries">
      <FilterForm fields={FILTER_FIELDS} values={filters} onApply={setFilters} />
      {list.isPending && <Loading what="Reading the outbox" />}
      <ErrorNotice error={list.error} title="The outbox could not be read" />
      {list.data !== undefined && (
        <>
          <p className="muted" role="status">
            {rows.length === 0 ? 'No message matches.' : `${rows.length} message${rows.length === 1 ? '' : 's'} on this page${failed > 0 ? `, ${failed} failed (the dead letter)` : ''}.`}
          </p>
          {rows.length > 0 && (
            <div className="table-wrap">
              <table aria-label="Outbox messages">
                <thead>
                  <tr>
                    <th scope="col">Message</th>
                    <th scope="col">State</th>
                    <th scope="col">Purpose</th>
                    <th scope="col">Incident</th>
                    <th scope="col">To</th>
                    <th scope="col">Queued</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((d) => (
                    <tr key={d.id} className={d.status === 'failed' ? 'overdue' : undefined}>
                      <th scope="row">
                        {d.id}
                        <div className="muted small">{d.subject}</div>
                      </th>
                      <td>
                        <Badge tone={deliveryTone(d.status)}>{stateLabel(d.status)}</Badge>
                        {d.status === 'failed' && d.last_error !== null && <div className="small">{d.last_error}</div>}
                      </td>
                      <td>{d.purpose}</td>
                      <td>{d.incident_id === null ? <span className="muted">—</span> : <Link to={`/incidents/${encodeURIComponent(d.incident_id)}`}>{d.incident_id}</Link>}</td>
                      <td>
                        {d.role}
                        <div className="muted small">
                          {d.channel}: {d.address}
                        </div>
                      </td>
                      <td>
                        <Time at={d.created_at} />
                      </td>
                      <td>{d.attempts}</td>
                      <td>
                        <div className="button-row">
                          <button
                            type="button"
                            className="small-button"
                            aria-label={`Attempts of ${d.id}`}
                            onClick={(e) => {
                              opener.current = e.currentTarget;
                              setOpen(d.id);
                            }}
                          >
                            Attempts
                          </button>
                          {d.status === 'failed' && can('delivery.retry') && <RetryButton delivery={d} />}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {(pages.hasPrevious || list.data.next !== null) && <Pager hasPrevious={pages.hasPrevious} next={list.data.next} onPrevious={pages.previous} onNext={pages.next} />}
        </>
      )}
      <Dialog.Root open={open !== null} onOpenChange={(o) => !o && setOpen(null)}>
        <Dialog.Portal>
          <Dialog.Overlay className="dialog-overlay" />
          <Dialog.Content
            className="dialog-content dialog-wide"
            onCloseAutoFocus={(e) => {
              e.preventDefault();
              opener.current?.focus();
            }}
          >
            <Dialog.Title>Message {open}</Dialog.Title>
            <Dialog.Description className="muted">Every attempt to deliver it, oldest first.</Dialog.Description>
            {open !== null && <Attempts id={open} />}
            <div className="button-row dialog-actions">
              <Dialog.Close asChild>
                <button type="button">Close</button>
              </Dialog.Close>
            </div>
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
    </Page>
  );
}
