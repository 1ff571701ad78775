/**
 * The incident list: filters in the address (state, severity, service, report-out missing,
 * overdue) so a filtered list can be bookmarked and shared, cursor paging, and opening an
 * incident for those who may.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { INCIDENT_SEVERITIES, INCIDENT_STATES, incidentApi, incidentKeys, listIncidents, type IncidentFilters, type IncidentSeverity } from '../api/incidents';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Empty, Loading, Page, Pager } from '../components/Page';
import { Time } from '../components/Time';
import { TableWrap } from './incident/TableWrap';
import { DialogButtons, FormDialog, splitList } from './incident/FormDialog';
import { REPORTOUT_WORDS, SEVERITY_WORDS, STATE_WORDS, severityTone } from './incident/words';

const FILTER_KEYS = ['state', 'severity', 'service', 'missing_reportout', 'overdue'] as const;

export default function Incidents() {
  const [params, setParams] = useSearchParams();
  const can = useCan();
  const [previous, setPrevious] = useState<(string | undefined)[]>([]);
  const filters: IncidentFilters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v !== null && v !== '') filters[k] = v;
  }
  const after = params.get('after') ?? undefined;
  const query = useQuery({
    queryKey: incidentKeys.list({ ...filters, after }),
    queryFn: () => listIncidents({ ...filters, after }),
    placeholderData: keepPreviousData,
  });

  function setFilter(key: (typeof FILTER_KEYS)[number], value: string) {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(key);
    else next.set(key, value);
    next.delete('after');
    setPrevious([]);
    setParams(next);
  }

  function goTo(cursor: string | undefined) {
    const next = new URLSearchParams(params);
    if (cursor === undefined) next.delete('after');
    else next.set('after', cursor);
    setParams(next);
  }

  const filtered = FILTER_KEYS.some((k) => params.has(k));

  return (
    <Page title="Incidents" actions={can('incident.open') ? <OpenIncident /> : undefined}>
      <form className="filters" role="search" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select value={filters.state ?? ''} onChange={(e) => setFilter('state', e.target.value)}>
            <option value="">Any</option>
            {INCIDENT_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_WORDS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={filters.severity ?? ''} onChange={(e) => setFilter('severity', e.target.value)}>
            <option value="">Any</option>
            {INCIDENT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {SEVERITY_WORDS[s]}
              </option>
            ))}
          </select>
        </label>
        <ServiceFilter value={filters.service ?? ''} onChange={(v) => setFilter('service', v)} />
        <label className="check">
          <input type="checkbox" checked={filters.missing_reportout === 'true'} onChange={(e) => setFilter('missing_reportout', e.target.checked ? 'true' : '')} />
          Report-out missing
        </label>
        <label className="check">
          <input type="checkbox" checked={filters.overdue === 'true'} onChange={(e) => setFilter('overdue', e.target.checked ? 'true' : '')} />
          Overdue
        </label>
        {filtered && (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setPrevious([]);
              setParams(new URLSearchParams());
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      {query.isPending ? (
        <Loading what="Loading incidents" />
      ) : query.isError ? (
        <ErrorNotice error={query.error} title="The incidents could not be loaded" />
      ) : query.data.incidents.length === 0 ? (
        <Empty>{filtered ? 'No incident matches these filters.' : 'No incident yet.'}</Empty>
      ) : (
        <>
          <TableWrap label="Incidents">
            <table aria-label="Incidents">
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Title</th>
                  <th scope="col">State</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Service</th>
                  <th scope="col">Report-out</th>
                  <th scope="col">
                    <abbr title="Acknowledgments: roles done of roles required">Acks</abbr>
                  </th>
                  <th scope="col">Overdue</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {query.data.incidents.map((inc) => {
                  const s = inc.summary;
                  return (
                    <tr key={inc.id} className={s?.overdue ? 'overdue' : undefined}>
                      <th scope="row">
                        <Link to={`/incidents/${encodeURIComponent(inc.id)}`}>{inc.id}</Link>
                      </th>
                      <td>{inc.title}</td>
                      <td>{STATE_WORDS[inc.state]}</td>
                      <td>
                        <Badge tone={severityTone(inc.severity)}>{SEVERITY_WORDS[inc.severity]}</Badge>
                      </td>
                      <td>{inc.service ?? <span className="muted">—</span>}</td>
                      <td>{s ? <Badge tone={s.reportout === 'owed' ? 'warn' : s.reportout === 'sent' ? 'good' : 'neutral'}>{REPORTOUT_WORDS[s.reportout]}</Badge> : <span className="muted">—</span>}</td>
                      <td>{s ? `${s.acks.done} of ${s.acks.required}` : <span className="muted">—</span>}</td>
                      <td>{s?.overdue ? <Badge tone="bad">{s.ack_overdue && s.remediation_overdue ? 'Acks, remediation' : s.ack_overdue ? 'Acks' : 'Remediation'}</Badge> : <span className="muted">No</span>}</td>
                      <td>
                        <Time at={inc.created_at} dateOnly />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <Pager
            hasPrevious={after !== undefined}
            next={query.data.next}
            onPrevious={() => {
              const stack = [...previous];
              const back = stack.pop();
              setPrevious(stack);
              goTo(back);
            }}
            onNext={(cursor) => {
              setPrevious([...previous, after]);
              goTo(cursor);
            }}
          />
        </>
      )}
    </Page>
  );
}

/** The service filter applies when the person leaves the field or presses Enter, not on every key. */
function ServiceFilter({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    setText(value);
  }
  return (
    <label>
      Service
      <input
        type="search"
        value={text}
        placeholder="e.g. payments"
        onChange={(e) => setText(e.target.value)}
        onBlur={() => text.trim() !== value && onChange(text.trim())}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            onChange(text.trim());
          }
        }}
      />
    </label>
  );
}

function OpenIncident() {
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [title, setTitle] = useState('');
  const [severity, setSeverity] = useState<IncidentSeverity>('moderate');
  const [service, setService] = useState('');
  const [irLead, setIrLead] = useState('');
  const [assets, setAssets] = useState('');
  const mutation = useMutation({
    mutationFn: () =>
      incidentApi.open({
        title: title.trim(),
        severity,
        ...(service.trim() ? { service: service.trim() } : {}),
        ...(irLead.trim() ? { ir_lead: irLead.trim() } : {}),
        assets: splitList(assets),
      }),
    onSuccess: async (inc) => {
      await qc.invalidateQueries({ queryKey: incidentKeys.all });
      setOpen(false);
      void navigate(`/incidents/${encodeURIComponent(inc.id)}`);
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    mutation.mutate();
  }
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) mutation.reset();
      }}
      title="Open an incident"
      description="The incident starts in state Reported and owes an IR-6(2) report-out from then on."
      trigger={
        <button type="button" className="primary">
          Open incident
        </button>
      }
    >
      <form className="form" onSubmit={submit}>
        <label>
          Title
          <input required value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value as IncidentSeverity)}>
            {INCIDENT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {SEVERITY_WORDS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Service <span className="hint">optional: the service id, e.g. payments</span>
          <input value={service} onChange={(e) => setService(e.target.value)} />
        </label>
        <label>
          IR lead <span className="hint">optional: the person leading the response</span>
          <input value={irLead} onChange={(e) => setIrLead(e.target.value)} />
        </label>
        <label>
          Affected assets <span className="hint">optional: asset ids, separated by commas</span>
          <input value={assets} onChange={(e) => setAssets(e.target.value)} />
        </label>
        <ErrorNotice error={mutation.error} title="The incident was not opened" />
        <DialogButtons submit="Open incident" pending={mutation.isPending} />
      </form>
    </FormDialog>
  );
}
