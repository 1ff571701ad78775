/**
 * The control's figures (`GET /metrics`): incidents missing their report-out, report-out latency,
 * acknowledgment latency by role, remediation aging, risk acceptances awaiting review, escalations
 * by trigger, findings that stayed and later escalated, the latest health check's pass rate and
 * incidents by state. Each chart has a heading, its figures in a sentence and a table (what a
 * screen reader reads; the drawing itself is hidden from it), and says so when there is nothing.
 */
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { getMetrics, type IdList, type Metrics } from '../api/vr';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty, Loading, Page } from '../components/Page';
import { Time } from '../components/Time';
import {
  ackRows,
  ackSentence,
  agingRows,
  agingSentence,
  agingStatuses,
  healthCheckRows,
  healthCheckSentence,
  openIncidents,
  percent,
  reportOutRows,
  reportOutSentence,
  stateRows,
  stateSentence,
  staysSentence,
  total,
  triggerRows,
  triggerSentence,
} from './vr/dashboard-data';
import { humanize } from './vr/words';

// colours with at least 3:1 contrast on white, told apart by more than hue (the tables say it in words)
const COLOURS = { primary: '#1a56a0', secondary: '#7a4b00', tertiary: '#1a6b3c', quaternary: '#a3161b' };
const STATUS_COLOURS: Record<string, string> = { open: COLOURS.quaternary, in_progress: COLOURS.secondary, resolved: COLOURS.tertiary };
const AXIS = { fontSize: 12, fill: '#1b1f24' };

export default function Dashboard() {
  const q = useQuery({ queryKey: ['metrics'], queryFn: getMetrics, refetchInterval: 60_000 });
  return (
    <Page title="Dashboard" actions={q.data !== undefined ? <span className="small muted">As of <Time at={q.data.as_of} /></span> : undefined}>
      {q.isPending && <Loading what="Loading the figures" />}
      <ErrorNotice error={q.error} title="The figures could not be loaded" />
      {q.data !== undefined && <Figures m={q.data} />}
    </Page>
  );
}

/** The figures of one answer of `GET /metrics`. */
export function Figures({ m }: { m: Metrics }) {
  const hc = m.healthcheck_pass_rate;
  return (
    <>
      <div className="cards" role="list" aria-label="Key figures">
        <Card label="Incidents missing report-out" value={m.missing_reportout.count} tone={m.missing_reportout.count > 0 ? 'bad' : 'good'} />
        <Card label="Remediation items overdue" value={m.remediation_aging.overdue} tone={m.remediation_aging.overdue > 0 ? 'bad' : 'good'} />
        <Card label="Risk acceptances awaiting review" value={m.risk_review.requested.count + m.risk_review.review_due.count + m.risk_review.review_past.count} />
        <Card label="Incidents not closed" value={openIncidents(m)} />
        <Card label="Findings that stayed, then escalated" value={m.stays_later_escalated.count} />
        <Card label="Latest health check pass rate" value={hc === null ? 'none yet' : percent(hc.rate)} />
      </div>
      <div className="dashboard-grid">
        <MissingReportOut m={m} />
        <ChartSection id="reportout" title="Report-out latency" sentence={reportOutSentence(m)} empty={m.reportout_latency.count === 0 ? 'No report-out has been sent yet.' : null}>
          <p>
            From an incident&apos;s opening to its report-out&apos;s sending, over <strong>{m.reportout_latency.count}</strong> report-out{m.reportout_latency.count === 1 ? '' : 's'}.
          </p>
          <Chart>
            <BarChart data={reportOutRows(m)} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="figure" tick={AXIS} />
              <YAxis tick={AXIS} unit=" h" />
              <Tooltip />
              <Bar dataKey="hours" name="Hours" fill={COLOURS.primary} />
            </BarChart>
          </Chart>
          <FigureTable caption="Report-out latency, in hours" head={['Figure', 'Hours']} rows={reportOutRows(m).map((r) => [r.figure, r.hours ?? '—'])} />
        </ChartSection>
        <ChartSection id="ack" title="Acknowledgment latency by role" sentence={ackSentence(m)} empty={m.ack_latency.every((a) => a.count === 0) ? 'No acknowledgment has been recorded yet.' : null}>
          <Chart>
            <BarChart data={ackRows(m)} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="role" tick={AXIS} interval={0} angle={-25} textAnchor="end" height={80} />
              <YAxis tick={AXIS} unit=" h" />
              <Tooltip />
              <Legend />
              <Bar dataKey="median" name="Median (hours)" fill={COLOURS.primary} />
              <Bar dataKey="p90" name="90th percentile (hours)" fill={COLOURS.secondary} />
              <Bar dataKey="max" name="Longest (hours)" fill={COLOURS.quaternary} />
            </BarChart>
          </Chart>
          <FigureTable
            caption="Acknowledgment latency by role, in hours"
            head={['Role', 'Median (h)', '90th percentile (h)', 'Longest (h)', 'Acknowledgments']}
            rows={m.ack_latency.map((a) => [a.role, a.median_hours ?? '—', a.p90_hours ?? '—', a.max_hours ?? '—', a.count])}
          />
        </ChartSection>
        <ChartSection id="aging" title="Remediation aging" sentence={agingSentence(m)} empty={m.remediation_aging.open_total === 0 ? 'No remediation item is waiting for verification.' : null}>
          <p>
            <strong>{m.remediation_aging.overdue}</strong> overdue of {m.remediation_aging.open_total} not yet verified.{' '}
            <Link to="/remediation">Open the remediation board</Link>
          </p>
          <Chart>
            <BarChart data={agingRows(m)} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="bucket" tick={AXIS} />
              <YAxis allowDecimals={false} tick={AXIS} />
              <Tooltip />
              <Legend />
              {agingStatuses(m).map((s) => (
                <Bar key={s} dataKey={s} name={humanize(s)} stackId="status" fill={STATUS_COLOURS[s] ?? COLOURS.primary} />
              ))}
            </BarChart>
          </Chart>
          <FigureTable
            caption="Remediation items by age since opened and status"
            head={['Age', ...agingStatuses(m).map(humanize), 'Total']}
            rows={agingRows(m).map((r) => [String(r.bucket), ...agingStatuses(m).map((s) => r[s] ?? 0), r.total ?? 0])}
          />
        </ChartSection>
        <RiskReview m={m} />
        <ChartSection id="triggers" title="Escalations by trigger" sentence={triggerSentence(m)} empty={m.escalations_by_trigger.every((t) => t.count === 0) ? 'No finding escalates.' : null}>
          <CountBars data={triggerRows(m)} category="trigger" value="count" name="Findings" fill={COLOURS.quaternary} width={150} />
          <FigureTable caption="Findings whose latest decision escalates, by trigger" head={['Trigger', 'Findings']} rows={triggerRows(m).map((r) => [r.trigger, r.count])} />
          <p className="small">
            <Link to="/vulnerabilities?tab=decisions&outcome=escalate">See the escalations</Link>
          </p>
        </ChartSection>
        <StaysLaterEscalated m={m} />
        <ChartSection id="healthcheck" title="Control health check" sentence={healthCheckSentence(m)} empty={hc === null ? 'No control health check has been run yet.' : null}>
          {hc !== null && (
            <p>
              <span className="big-figure">{percent(hc.rate)}</span> of the {hc.sampled} incident{hc.sampled === 1 ? '' : 's'} sampled by {hc.health_check_id} passed every question.
            </p>
          )}
          <CountBars data={healthCheckRows(m)} category="outcome" value="incidents" name="Sampled incidents" fill={COLOURS.tertiary} width={100} />
          <FigureTable caption="Sampled incidents of the latest health check" head={['Outcome', 'Incidents']} rows={healthCheckRows(m).map((r) => [r.outcome, r.incidents])} />
        </ChartSection>
        <ChartSection id="states" title="Incidents by state" sentence={stateSentence(m)} empty={total(stateRows(m)) === 0 ? 'No incident has been recorded.' : null}>
          <Chart>
            <BarChart data={stateRows(m)} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="state" tick={AXIS} interval={0} angle={-25} textAnchor="end" height={70} />
              <YAxis allowDecimals={false} tick={AXIS} />
              <Tooltip />
              <Bar dataKey="count" name="Incidents" fill={COLOURS.primary} />
            </BarChart>
          </Chart>
          <FigureTable caption="Incidents by state" head={['State', 'Incidents']} rows={stateRows(m).map((r) => [r.state, r.count])} />
        </ChartSection>
      </div>
    </>
  );
}

function Card({ label, value, tone }: { label: string; value: number | string; tone?: 'good' | 'bad' }) {
  return (
    <div className={`card${tone !== undefined ? ` card-${tone}` : ''}`} role="listitem">
      <div className="figure">{typeof value === 'number' ? value.toLocaleString() : value}</div>
      <div>{label}</div>
    </div>
  );
}

/** A chart's section: heading, its figures in a sentence, the chart and its table, or the empty state. */
function ChartSection({ id, title, sentence, empty, children }: { id: string; title: string; sentence: string; empty: string | null; children: ReactNode }) {
  return (
    <section className="panel chart-panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {empty !== null ? (
        <Empty>{empty}</Empty>
      ) : (
        <>
          <p className="visually-hidden">{sentence}</p>
          {children}
        </>
      )}
    </section>
  );
}

/** The drawing: hidden from screen readers, which read the sentence and the table instead. */
function Chart({ children }: { children: React.ReactElement }) {
  return (
    <div className="chart" aria-hidden="true">
      <ResponsiveContainer width="100%" height={260}>
        {children}
      </ResponsiveContainer>
    </div>
  );
}

/** Counts as horizontal bars, one per category. */
function CountBars({ data, category, value, name, fill, width }: { data: Record<string, string | number>[]; category: string; value: string; name: string; fill: string; width: number }) {
  return (
    <Chart>
      <BarChart data={data} layout="vertical" accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" allowDecimals={false} tick={AXIS} />
        <YAxis type="category" dataKey={category} width={width} tick={AXIS} />
        <Tooltip />
        <Bar dataKey={value} name={name} fill={fill} />
      </BarChart>
    </Chart>
  );
}

function FigureTable({ caption, head, rows }: { caption: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <details className="figure-table">
      <summary>Figures as a table</summary>
      <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
        <table>
          <caption>{caption}</caption>
          <thead>
            <tr>
              {head.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) =>
                  j === 0 ? (
                    <th key={j} scope="row">
                      {c}
                    </th>
                  ) : (
                    <td key={j}>{typeof c === 'number' ? c.toLocaleString() : c}</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function IdLinks({ list, to, label }: { list: IdList; to: (id: string) => string; label: string }) {
  if (list.count === 0) return null;
  const more = list.count - list.ids.length;
  return (
    <ul className="id-links" aria-label={label}>
      {list.ids.map((id) => (
        <li key={id}>
          <Link to={to(id)}>{id}</Link>
        </li>
      ))}
      {more > 0 && <li className="muted">and {more} more</li>}
    </ul>
  );
}

function MissingReportOut({ m }: { m: Metrics }) {
  const n = m.missing_reportout.count;
  return (
    <section className="panel chart-panel" aria-labelledby="missing-heading">
      <h2 id="missing-heading">Incidents missing report-out</h2>
      {n === 0 ? (
        <Empty>Every incident that owes a report-out has sent it.</Empty>
      ) : (
        <>
          <p>
            <span className="big-figure">{n}</span> incident{n === 1 ? '' : 's'} owe{n === 1 ? 's' : ''} a report-out that was not sent.
          </p>
          <IdLinks list={m.missing_reportout} to={(id) => `/incidents/${encodeURIComponent(id)}`} label="Incidents missing report-out" />
          <p className="small">
            <Link to="/incidents?missing_reportout=true">All of them in the incident list</Link>
          </p>
        </>
      )}
    </section>
  );
}

function RiskReview({ m }: { m: Metrics }) {
  const r = m.risk_review;
  const all = r.requested.count + r.review_due.count + r.review_past.count;
  return (
    <section className="panel chart-panel" aria-labelledby="risk-heading">
      <h2 id="risk-heading">Risk acceptances awaiting review</h2>
      {all === 0 ? (
        <Empty>No risk acceptance is waiting for a decision or a review.</Empty>
      ) : (
        <dl className="facts">
          <dt>Requested, awaiting a decision</dt>
          <dd>
            {r.requested.count}
            <IdLinks list={r.requested} to={() => '/risks'} label="Requested risk acceptances" />
          </dd>
          <dt>Review due within {r.review_due.within_days} days</dt>
          <dd>
            {r.review_due.count}
            <IdLinks list={r.review_due} to={() => '/risks'} label="Risk acceptances with a review due" />
          </dd>
          <dt>Past the review date</dt>
          <dd>
            {r.review_past.count}
            <IdLinks list={r.review_past} to={() => '/risks'} label="Risk acceptances past their review date" />
          </dd>
        </dl>
      )}
      {all > 0 && (
        <p className="small">
          <Link to="/risks">Open the risk acceptances</Link>
        </p>
      )}
    </section>
  );
}

function StaysLaterEscalated({ m }: { m: Metrics }) {
  const list = m.stays_later_escalated;
  return (
    <section className="panel chart-panel" aria-labelledby="stays-heading">
      <h2 id="stays-heading">Stays later escalated</h2>
      {list.count === 0 ? (
        <Empty>{staysSentence(m)}</Empty>
      ) : (
        <>
          <p>
            <span className="big-figure">{list.count}</span> finding{list.count === 1 ? '' : 's'} stayed at first and escalated later: worth a look at why the first decision stayed.
          </p>
          <IdLinks list={list} to={(id) => `/vulnerabilities/findings/${encodeURIComponent(id)}`} label="Findings that stayed, then escalated" />
        </>
      )}
    </section>
  );
}
