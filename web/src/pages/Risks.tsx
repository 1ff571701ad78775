/**
 * Risk acceptances: each with its effective state (an approved acceptance expires at its review
 * date), requester, approver, review date (soon or past marked) and incident; those who may
 * decide a requested one (never its requester) approve or reject it here.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { RISK_STATES, workApi } from '../api/work';
import { useSession } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Loading, Page, Pager } from '../components/Page';
import { Time } from '../components/Time';
import { DecideRisk } from './work/DecideRisk';
import { reviewUrgency, riskTone, stateLabel, todayUtc } from './work/derive';
import { FilterForm, type FilterField } from './work/FilterForm';
import { useCursorPages, useUrlFilters } from './work/paging';

const FILTERS = ['state', 'incident'] as const;
const FILTER_FIELDS: readonly FilterField[] = [
  { name: 'state', label: 'State', options: [{ value: '', label: 'any' }, ...RISK_STATES.map((s) => ({ value: s, label: stateLabel(s) }))] },
  { name: 'incident', label: 'Incident', placeholder: 'e.g. INC-2026-0001' },
];

export default function Risks() {
  const session = useSession();
  const [filters, setFilters] = useUrlFilters(FILTERS);
  const pages = useCursorPages(JSON.stringify(filters));
  const list = useQuery({
    queryKey: ['risks', filters, pages.after],
    queryFn: () => workApi.risks({ state: filters.state, incident: filters.incident, after: pages.after }),
  });
  const today = todayUtc();
  const rows = list.data?.risk_acceptances ?? [];
  return (
    <Page title="Risk acceptances">
      <FilterForm fields={FILTER_FIELDS} values={filters} onApply={setFilters} />
      {list.isPending && <Loading what="Reading the risk acceptances" />}
      <ErrorNotice error={list.error} title="The risk acceptances could not be read" />
      {list.data !== undefined && (
        <>
          <p className="muted" role="status">
            {rows.length === 0 ? 'No risk acceptance matches.' : `${rows.length} risk acceptance${rows.length === 1 ? '' : 's'}${rows.some((r) => r.can_decide) ? `, ${rows.filter((r) => r.can_decide).length} awaiting your decision` : ''}.`}
          </p>
          {rows.length > 0 && (
            <div className="table-wrap">
              <table aria-label="Risk acceptances">
                <thead>
                  <tr>
                    <th scope="col">Acceptance</th>
                    <th scope="col">Incident</th>
                    <th scope="col">State</th>
                    <th scope="col">Requester</th>
                    <th scope="col">Approver</th>
                    <th scope="col">Review by</th>
                    <th scope="col">Rationale and controls</th>
                    <th scope="col">Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => {
                    const u = reviewUrgency(r.review_by, today);
                    const live = r.effective_state === 'approved' || r.effective_state === 'requested';
                    return (
                      <tr key={r.id}>
                        <th scope="row">
                          {r.id}
                          <div className="muted small">{r.weakness}</div>
                        </th>
                        <td>
                          <Link to={`/incidents/${encodeURIComponent(r.incident)}`}>{r.incident}</Link>
                        </td>
                        <td>
                          <Badge tone={riskTone(r.effective_state)}>{stateLabel(r.effective_state)}</Badge>
                          {r.state !== r.effective_state && <div className="muted small">recorded as {stateLabel(r.state).toLowerCase()}</div>}
                        </td>
                        <td>
                          {r.requester}
                          <div className="muted small">
                            <Time at={r.created_at} />
                          </div>
                        </td>
                        <td>
                          {r.approver ?? <span className="muted">—</span>}
                          {r.decided_at !== null && (
                            <div className="muted small">
                              <Time at={r.decided_at} />
                            </div>
                          )}
                          {r.reason !== null && <div className="small">“{r.reason}”</div>}
                        </td>
                        <td>
                          <Time at={r.review_by} />
                          {live && u.kind !== 'later' && (
                            <div>
                              <Badge tone={u.kind === 'past' ? 'bad' : 'warn'}>{u.words}</Badge>
                            </div>
                          )}
                        </td>
                        <td className="wide-cell">
                          {r.rationale}
                          <div className="muted small">Controls: {r.controls}</div>
                        </td>
                        <td>{r.can_decide ? <DecideRisk risk={r} /> : <span className="muted small">{r.effective_state !== 'requested' ? '—' : r.requester === session.actor ? 'your request: an approver decides' : 'awaiting an approver'}</span>}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {(pages.hasPrevious || list.data.next !== null) && <Pager hasPrevious={pages.hasPrevious} next={list.data.next} onPrevious={pages.previous} onNext={pages.next} />}
        </>
      )}
    </Page>
  );
}
