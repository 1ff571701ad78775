/**
 * Escalations and stays: the latest decision of each finding, filtered by outcome, trigger or stay
 * reason (in the address, so a filtered list can be shared), a page at a time.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { listDecisions, type ListedDecision } from '../../api/vr';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge, Empty, Loading, Pager } from '../../components/Page';
import { Time } from '../../components/Time';
import { FLAG_WORDS, STAY_SHORT, STAY_WORDS, TRIGGER_SHORT, TRIGGER_WORDS, wordFor } from './words';

const PAGE = 50;

export function DecisionsPanel() {
  const [params, setParams] = useSearchParams();
  const outcome = params.get('outcome') ?? '';
  const trigger = params.get('trigger') ?? '';
  const stay = params.get('stay_reason') ?? '';
  const after = params.get('after') ?? '';
  // the cursors of the pages before this one (Previous goes back through them)
  const [previous, setPrevious] = useState<string[]>([]);
  const filters = { outcome, trigger, stay_reason: stay, after, limit: PAGE };
  const q = useQuery({ queryKey: ['decisions', filters], queryFn: () => listDecisions(filters), placeholderData: keepPreviousData });

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    next.delete('after');
    setPrevious([]);
    setParams(next);
  };
  const goTo = (cursor: string) => {
    const next = new URLSearchParams(params);
    if (cursor === '') next.delete('after');
    else next.set('after', cursor);
    setParams(next);
  };

  return (
    <section aria-labelledby="decisions-heading">
      <h2 id="decisions-heading">Escalations and stays</h2>
      <form className="filters" aria-label="Filter decisions" onSubmit={(e) => e.preventDefault()}>
        <label>
          Outcome
          <select value={outcome} onChange={(e) => setFilter('outcome', e.target.value)}>
            <option value="">Any</option>
            <option value="escalate">Escalate</option>
            <option value="stay">Stay</option>
          </select>
        </label>
        <label>
          Trigger
          <select value={trigger} onChange={(e) => setFilter('trigger', e.target.value)}>
            <option value="">Any</option>
            {Object.entries(TRIGGER_SHORT).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label>
          Stay reason
          <select value={stay} onChange={(e) => setFilter('stay_reason', e.target.value)}>
            <option value="">Any</option>
            {Object.entries(STAY_SHORT).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
      </form>
      {q.isPending && <Loading what="Loading the decisions" />}
      <ErrorNotice error={q.error} title="The decisions could not be loaded" />
      {q.data !== undefined && q.data.decisions.length === 0 && (
        <Empty>{outcome || trigger || stay ? 'No finding has a latest decision matching these filters.' : 'No finding has been decided yet: run triage first.'}</Empty>
      )}
      {q.data !== undefined && q.data.decisions.length > 0 && (
        <>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Decisions table">
            <table aria-label="Decisions">
              <thead>
                <tr>
                  <th scope="col">Finding</th>
                  <th scope="col">Asset</th>
                  <th scope="col">Vulnerability</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Why</th>
                  <th scope="col">Incident</th>
                  <th scope="col">Decided</th>
                </tr>
              </thead>
              <tbody>
                {q.data.decisions.map((d) => (
                  <DecisionRow key={d.decision} d={d} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            hasPrevious={after !== ''}
            next={q.data.next}
            onPrevious={() => {
              const back = previous[previous.length - 1] ?? '';
              setPrevious(previous.slice(0, -1));
              goTo(back);
            }}
            onNext={(cursor) => {
              setPrevious([...previous, after]);
              goTo(cursor);
            }}
          />
        </>
      )}
    </section>
  );
}

/** A long id (a scanner's fingerprint) shown by its start; a screen reader still reads it whole. */
function ShortId({ id }: { id: string }) {
  if (id.length <= 24) return <>{id}</>;
  return (
    <>
      {id.slice(0, 16)}
      <span aria-hidden="true">…</span>
      <span className="visually-hidden">{id.slice(16)}</span>
    </>
  );
}

function DecisionRow({ d }: { d: ListedDecision }) {
  return (
    <tr>
      <td className="wrap">
        <Link to={`/vulnerabilities/findings/${encodeURIComponent(d.finding)}`} title={d.finding}>
          <ShortId id={d.finding} />
        </Link>
      </td>
      <td className="wrap">{d.asset}</td>
      <td className="wrap">{d.vulnerability}</td>
      <td>{d.outcome === 'escalate' ? <Badge tone="bad">Escalate</Badge> : <Badge tone="neutral">Stay</Badge>}</td>
      <td>
        <ul className="reasons">
          {(d.outcome === 'escalate' ? d.triggers.map((t) => wordFor(TRIGGER_WORDS, t)) : d.stay_reasons.map((r) => wordFor(STAY_WORDS, r))).map((w) => (
            <li key={w}>{w}</li>
          ))}
          {d.flags.map((f) => (
            <li key={f}>
              <Badge tone="warn">{wordFor(FLAG_WORDS, f)}</Badge>
            </li>
          ))}
        </ul>
      </td>
      <td>{d.incident !== null ? <Link to={`/incidents/${encodeURIComponent(d.incident)}`}>{d.incident}</Link> : <span className="muted">—</span>}</td>
      <td>
        <Time at={d.decided_at} />
      </td>
    </tr>
  );
}
