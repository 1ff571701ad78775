/**
 * The remediation board: every item in a column by status, due dates with overdue ones marked,
 * filters (owner, overdue, incident) in the query string, and the moves the server allows from
 * each status for those who may edit remediation. On a phone the columns stack.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { REMEDIATION_STATES, workApi, type BoardItem, type RemediationState } from '../api/work';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Empty, Loading, Page, Pager } from '../components/Page';
import { Time } from '../components/Time';
import { dueWords, REMEDIATION_MOVES, stateLabel, todayUtc } from './work/derive';
import { FilterForm, type FilterField } from './work/FilterForm';
import { useCursorPages, useUrlFilters } from './work/paging';

const FILTERS = ['owner', 'overdue', 'incident'] as const;
const PAGE_SIZE = 500;
const FILTER_FIELDS: readonly FilterField[] = [
  { name: 'owner', label: 'Owner (role or person)', placeholder: 'e.g. service_owner' },
  { name: 'incident', label: 'Incident', placeholder: 'e.g. INC-2026-0001' },
  {
    name: 'overdue',
    label: 'Due',
    options: [
      { value: '', label: 'any' },
      { value: 'true', label: 'overdue only' },
      { value: 'false', label: 'not overdue' },
    ],
  },
];

function MoveButtons({ item }: { item: BoardItem }) {
  const qc = useQueryClient();
  const move = useMutation({
    mutationFn: (to: RemediationState) => workApi.moveRemediation(item.id, to),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: ['remediation'] }), qc.invalidateQueries({ queryKey: ['my-work'] })]),
  });
  const moves = REMEDIATION_MOVES[item.status];
  if (moves.length === 0) return null;
  return (
    <div className="button-row" role="group" aria-label={`Move ${item.id}`}>
      {moves.map((to) => (
        <button key={to} type="button" className="small-button" disabled={move.isPending} onClick={() => move.mutate(to)} aria-label={`Move ${item.id} to ${stateLabel(to)}`}>
          → {stateLabel(to)}
        </button>
      ))}
      <ErrorNotice error={move.error} title={`${item.id} was not moved`} />
    </div>
  );
}

function ItemCard({ item, canEdit, today }: { item: BoardItem; canEdit: boolean; today: string }) {
  return (
    <li className={item.overdue ? 'board-card overdue-card' : 'board-card'} aria-label={`${item.id}${item.overdue ? ', overdue' : ''}`}>
      <div className="board-card-head">
        <strong>{item.id}</strong>
        {item.overdue && <Badge tone="bad">overdue</Badge>}
      </div>
      <p className="board-criteria">{item.criteria}</p>
      <dl className="facts small">
        <dt>Incident</dt>
        <dd>{item.incident === null ? <span className="muted">—</span> : <Link to={`/incidents/${encodeURIComponent(item.incident)}`}>{item.incident}</Link>}</dd>
        <dt>Weakness</dt>
        <dd>{item.weakness ?? <span className="muted">—</span>}</dd>
        <dt>Owner</dt>
        <dd>
          {item.owner_role}
          {item.assignee !== '' && item.assignee !== item.owner_role && <>, {item.assignee}</>}
        </dd>
        <dt>Due</dt>
        <dd>
          <Time at={item.due} /> <span className={item.overdue ? 'overdue-text' : 'muted'}>{dueWords(item.due, item.overdue, today)}</span>
        </dd>
        {(item.ticket !== null || item.tickets.length > 0) && (
          <>
            <dt>Tickets</dt>
            <dd>
              {item.ticket !== null && <span>{item.ticket} </span>}
              {item.tickets.map((t) =>
                t.url !== null ? (
                  <a key={`${t.system}/${t.key}`} href={t.url} rel="noreferrer" target="_blank">
                    {t.key}
                    {t.status !== null && ` (${t.status})`}{' '}
                  </a>
                ) : (
                  <span key={`${t.system}/${t.key}`}>
                    {t.key}
                    {t.status !== null && ` (${t.status})`}{' '}
                  </span>
                ),
              )}
            </dd>
          </>
        )}
      </dl>
      {canEdit && <MoveButtons item={item} />}
    </li>
  );
}

export default function Remediation() {
  const can = useCan();
  const [filters, setFilters] = useUrlFilters(FILTERS);
  const pages = useCursorPages(JSON.stringify(filters));
  const board = useQuery({
    queryKey: ['remediation', filters, pages.after],
    queryFn: () => workApi.board({ owner: filters.owner, overdue: filters.overdue, incident: filters.incident, after: pages.after, limit: PAGE_SIZE }),
  });
  const today = todayUtc();
  const canEdit = can('remediation.edit');

  const items = board.data?.items ?? [];
  const overdueCount = items.filter((i) => i.overdue).length;
  return (
    <Page title="Remediation">
      <FilterForm fields={FILTER_FIELDS} values={filters} onApply={setFilters} />
      {board.isPending && <Loading what="Reading the board" />}
      <ErrorNotice error={board.error} title="The board could not be read" />
      {board.data !== undefined && (
        <>
          <p className="muted" role="status">
            {items.length === 0 ? 'No remediation item matches.' : `${items.length} item${items.length === 1 ? '' : 's'}, ${overdueCount} overdue.`}
          </p>
          <div className="board">
            {REMEDIATION_STATES.map((s) => {
              const col = items.filter((i) => i.status === s);
              return (
                <section key={s} className="board-column" aria-labelledby={`col-${s}`}>
                  <h2 id={`col-${s}`}>
                    {stateLabel(s)} <span className="muted">({col.length})</span>
                  </h2>
                  {col.length === 0 ? (
                    <Empty>None.</Empty>
                  ) : (
                    <ul className="board-list">
                      {col.map((i) => (
                        <ItemCard key={i.id} item={i} canEdit={canEdit} today={today} />
                      ))}
                    </ul>
                  )}
                </section>
              );
            })}
          </div>
          {(pages.hasPrevious || board.data.next !== null) && <Pager hasPrevious={pages.hasPrevious} next={board.data.next} onPrevious={pages.previous} onNext={pages.next} />}
        </>
      )}
    </Page>
  );
}
