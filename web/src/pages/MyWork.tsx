/**
 * My work: what the signed-in person must do now — acknowledgments their roles owe, remediation
 * items that are theirs, risk acceptances awaiting their decision, vendor responses to chase and
 * the incidents they lead. The landing page after sign-in.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { workApi, type VendorNotice, type WorkAck } from '../api/work';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Empty, Loading, Page } from '../components/Page';
import { Time } from '../components/Time';
import { DecideRisk } from './work/DecideRisk';
import { dueWords, nothingWaiting, remediationTone, reviewUrgency, stateLabel, todayUtc } from './work/derive';

function AckButton({ ack }: { ack: WorkAck }) {
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => workApi.acknowledge(ack.incident, ack.role),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['my-work'] }),
  });
  return (
    <>
      <button type="button" className="primary" disabled={m.isPending} onClick={() => m.mutate()}>
        Acknowledge {ack.incident} as {ack.role}
      </button>
      <ErrorNotice error={m.error} title="The acknowledgment was not recorded" />
    </>
  );
}

function ChaseButton({ notice }: { notice: VendorNotice }) {
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => workApi.chaseVendor(notice.id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['my-work'] }),
  });
  return (
    <>
      <button type="button" disabled={m.isPending} onClick={() => m.mutate()}>
        Chase {notice.vendor} ({notice.id})
      </button>
      <ErrorNotice error={m.error} title="The chase was not recorded" />
    </>
  );
}

export default function MyWork() {
  const can = useCan();
  const work = useQuery({ queryKey: ['my-work'], queryFn: workApi.myWork });
  const today = todayUtc();
  return (
    <Page title="My work">
      {work.isPending && <Loading what="Reading what waits for you" />}
      <ErrorNotice error={work.error} title="Your work could not be read" />
      {work.data !== undefined && nothingWaiting(work.data) && (
        <div className="panel">
          <p>Nothing is waiting for you: no acknowledgments due, no remediation items, no risk decisions and no vendors to chase.</p>
        </div>
      )}
      {work.data !== undefined && !nothingWaiting(work.data) && (
        <>
          <section aria-labelledby="acks-h">
            <h2 id="acks-h">Acknowledgments due ({work.data.acks.length})</h2>
            {work.data.acks.length === 0 ? (
              <Empty>No report-out waits for your roles' acknowledgment.</Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Incident</th>
                      <th scope="col">Role</th>
                      <th scope="col">Sent</th>
                      <th scope="col">Due</th>
                      <th scope="col">Action</th>
                    </tr>
                  </thead>
                  <tbody>
                    {work.data.acks.map((a) => (
                      <tr key={`${a.incident}/${a.role}`} className={a.overdue ? 'overdue' : undefined}>
                        <td>
                          <Link to={`/incidents/${encodeURIComponent(a.incident)}`}>{a.incident}</Link> {a.title} <Badge>{a.severity}</Badge>
                        </td>
                        <td>{a.role}</td>
                        <td>
                          <Time at={a.sent_at} />
                        </td>
                        <td>
                          <Time at={a.due_at} /> {a.overdue && <Badge tone="bad">overdue</Badge>}
                        </td>
                        <td>
                          <AckButton ack={a} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="items-h">
            <h2 id="items-h">Remediation items ({work.data.remediation.length})</h2>
            {work.data.remediation.length === 0 ? (
              <Empty>No remediation item is assigned to you or your roles.</Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Item</th>
                      <th scope="col">Incident</th>
                      <th scope="col">Criteria</th>
                      <th scope="col">Status</th>
                      <th scope="col">Due</th>
                      <th scope="col">Yours as</th>
                    </tr>
                  </thead>
                  <tbody>
                    {work.data.remediation.map((r) => (
                      <tr key={r.id} className={r.overdue ? 'overdue' : undefined}>
                        <td>
                          <Link to={`/remediation?incident=${encodeURIComponent(r.incident ?? '')}`}>{r.id}</Link>
                        </td>
                        <td>{r.incident === null ? <span className="muted">—</span> : <Link to={`/incidents/${encodeURIComponent(r.incident)}`}>{r.incident}</Link>}</td>
                        <td>{r.criteria}</td>
                        <td>
                          <Badge tone={remediationTone(r.status)}>{stateLabel(r.status)}</Badge>
                        </td>
                        <td>
                          <Time at={r.due} /> <span className={r.overdue ? 'overdue-text' : 'muted'}>{dueWords(r.due, r.overdue, today)}</span>
                        </td>
                        <td>{r.mine_as === 'assignee' ? 'assignee' : `owner role ${r.owner_role}`}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="risks-h">
            <h2 id="risks-h">Risk acceptances awaiting your decision ({work.data.risk_decisions.length})</h2>
            {work.data.risk_decisions.length === 0 ? (
              <Empty>No risk acceptance waits for your decision.</Empty>
            ) : (
              <ul className="cards-list">
                {work.data.risk_decisions.map((r) => {
                  const u = reviewUrgency(r.review_by, today);
                  return (
                    <li key={r.id} className="panel">
                      <h3>
                        {r.id} for {r.weakness} (<Link to={`/incidents/${encodeURIComponent(r.incident)}`}>{r.incident}</Link>)
                      </h3>
                      <dl className="facts">
                        <dt>Requested by</dt>
                        <dd>
                          {r.requester}, <Time at={r.created_at} />
                        </dd>
                        <dt>Rationale</dt>
                        <dd>{r.rationale}</dd>
                        <dt>Compensating controls</dt>
                        <dd>{r.controls}</dd>
                        <dt>Review by</dt>
                        <dd>
                          <Time at={r.review_by} /> <Badge tone={u.kind === 'past' ? 'bad' : u.kind === 'soon' ? 'warn' : 'neutral'}>{u.words}</Badge>
                        </dd>
                      </dl>
                      <DecideRisk risk={r} />
                    </li>
                  );
                })}
              </ul>
            )}
          </section>

          <section aria-labelledby="chase-h">
            <h2 id="chase-h">Vendor responses to chase ({work.data.vendor_chases.length})</h2>
            {work.data.vendor_chases.length === 0 ? (
              <Empty>No vendor response is overdue.</Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Notice</th>
                      <th scope="col">Vendor</th>
                      <th scope="col">Incident</th>
                      <th scope="col">Sent</th>
                      <th scope="col">Last chased</th>
                      <th scope="col">Chase due</th>
                      {can('vendor.edit') && <th scope="col">Action</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {work.data.vendor_chases.map((n) => (
                      <tr key={n.id} className={n.chase_overdue ? 'overdue' : undefined}>
                        <td>{n.id}</td>
                        <td>{n.vendor}</td>
                        <td>
                          <Link to={`/incidents/${encodeURIComponent(n.incident)}`}>{n.incident}</Link>
                        </td>
                        <td>
                          <Time at={n.sent_at} />
                        </td>
                        <td>
                          <Time at={n.chased_at} />
                        </td>
                        <td>
                          <Time at={n.chase_due} />
                        </td>
                        {can('vendor.edit') && (
                          <td>
                            <ChaseButton notice={n} />
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          {work.data.leading.length > 0 && (
            <section aria-labelledby="leading-h">
              <h2 id="leading-h">Incidents you lead ({work.data.leading.length})</h2>
              <ul>
                {work.data.leading.map((i) => (
                  <li key={i.id}>
                    <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.id}</Link> {i.title} <Badge>{i.severity}</Badge> <Badge tone="info">{stateLabel(i.state)}</Badge>{' '}
                    {i.reportout === 'owed' && <Badge tone="warn">report-out owed</Badge>}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </Page>
  );
}
