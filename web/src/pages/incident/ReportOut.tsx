/**
 * The IR-6(2) report-out: its weaknesses (or "none identified" with the rationale), adding a
 * weakness, sending (and resending a new revision), and per recipient role the delivery and the
 * acknowledgment, with an Acknowledge button for the roles the signed-in person holds.
 */
import { useState, type FormEvent } from 'react';
import { incidentApi, WEAKNESS_RELATIONS, WEAKNESS_TYPES, type IncidentView, type RoleEvidence, type WeaknessRelation, type WeaknessType } from '../../api/incidents';
import { useCan, useSession } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge, Empty } from '../../components/Page';
import { Time } from '../../components/Time';
import { DialogButtons, FormDialog, splitList } from './FormDialog';
import { TableWrap } from './TableWrap';
import { useIncidentChange } from './useChange';
import { RELATION_HELP, roleWords, WEAKNESS_TYPE_HELP } from './words';

export function ReportOut({ view }: { view: IncidentView }) {
  const inc = view.incident;
  const can = useCan();
  const closed = inc.state === 'closed' || inc.state === 'closed_non_incident';
  const editable = !closed && can('reportout.edit');
  const complete = view.weaknesses.length > 0 || inc.none_identified_rationale !== null;
  return (
    <section className="panel" aria-labelledby="reportout-title" data-section="reportout">
      <h2 id="reportout-title">Report-out</h2>
      <p>
        {inc.reportout_sent_at !== null ? (
          <>
            <Badge tone="good">Sent</Badge> last sent <Time at={inc.reportout_sent_at} />
          </>
        ) : inc.reportout_opened_at !== null ? (
          <>
            <Badge tone="warn">Owed</Badge> since <Time at={inc.reportout_opened_at} />
          </>
        ) : (
          <Badge>Not due yet</Badge>
        )}{' '}
        <span className="muted">
          Required recipient roles: {view.required_roles.length > 0 ? view.required_roles.map(roleWords).join(', ') : 'none configured'}
        </span>
      </p>
      {inc.none_identified_rationale !== null && view.weaknesses.length === 0 && (
        <p>
          <strong>None identified:</strong> {inc.none_identified_rationale}
        </p>
      )}
      <h3>Weaknesses</h3>
      {view.weaknesses.length === 0 ? (
        <Empty>No weakness listed yet.</Empty>
      ) : (
        <TableWrap label="Weaknesses">
          <table aria-label="Weaknesses">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Type</th>
                <th scope="col">Relation</th>
                <th scope="col">Assets</th>
                <th scope="col">Vulnerabilities</th>
                <th scope="col">Exploitability and exposure</th>
                <th scope="col">Recommended action</th>
                <th scope="col">Vendor</th>
              </tr>
            </thead>
            <tbody>
              {view.weaknesses.map((w) => (
                <tr key={w.id}>
                  <th scope="row">{w.id}</th>
                  <td>{WEAKNESS_TYPE_HELP[w.type].label}</td>
                  <td>{RELATION_HELP[w.relation].label}</td>
                  <td>{w.assets.join(', ')}</td>
                  <td>{w.vulnerabilities.length > 0 ? w.vulnerabilities.join(', ') : <span className="muted">—</span>}</td>
                  <td className="prose">{w.notes}</td>
                  <td className="prose">{w.action}</td>
                  <td>{w.vendor ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <div className="actions">
        {editable && <AddWeakness view={view} />}
        {editable && view.weaknesses.length === 0 && inc.none_identified_rationale === null && <NoneIdentified id={inc.id} />}
        {!closed && can('reportout.send') && <SendReportOut id={inc.id} sent={inc.reportout_sent_at !== null} complete={complete} />}
      </div>
      <h3>Delivery and acknowledgment by role</h3>
      <Evidence view={view} />
    </section>
  );
}

function SendReportOut({ id, sent, complete }: { id: string; sent: boolean; complete: boolean }) {
  const [result, setResult] = useState<string | null>(null);
  const send = useIncidentChange(id, () => incidentApi.send(id), (r) => {
    const parts = [`Revision ${r.revision} queued to every recipient role.`];
    if (r.notices_opened.length > 0) parts.push(`Third-party notices opened: ${r.notices_opened.join(', ')}.`);
    if (r.acks_superseded.length > 0) parts.push(`Asked to acknowledge again: ${r.acks_superseded.map(roleWords).join(', ')}.`);
    if (r.acks_kept.length > 0) parts.push(`Acknowledgments kept: ${r.acks_kept.map(roleWords).join(', ')}.`);
    setResult(parts.join(' '));
  });
  const label = sent ? 'Resend report-out' : 'Send report-out';
  return (
    <>
      <button type="button" className="primary" disabled={send.isPending || !complete} onClick={() => send.mutate(undefined)} aria-describedby={complete ? undefined : 'send-hint'}>
        {label}
      </button>
      {!complete && (
        <span id="send-hint" className="hint">
          Add a weakness or record "none identified" before sending.
        </span>
      )}
      {result !== null && (
        <p className="notice notice-ok" role="status">
          {result}
        </p>
      )}
      <ErrorNotice error={send.error} title="The report-out was not sent" />
    </>
  );
}

function AddWeakness({ view }: { view: IncidentView }) {
  const id = view.incident.id;
  const [open, setOpen] = useState(false);
  const [type, setType] = useState<WeaknessType>('technical');
  const [relation, setRelation] = useState<WeaknessRelation>('enabled');
  const [assets, setAssets] = useState(view.assets.join(', '));
  const [vulns, setVulns] = useState('');
  const [notes, setNotes] = useState('');
  const [action, setAction] = useState('');
  const [vendor, setVendor] = useState('');
  const add = useIncidentChange(
    id,
    () =>
      incidentApi.addWeakness(id, {
        type,
        relation,
        assets: splitList(assets),
        vulnerabilities: splitList(vulns),
        notes: notes.trim(),
        action: action.trim(),
        ...(vendor.trim() ? { vendor: vendor.trim() } : {}),
      }),
    () => {
      setOpen(false);
      setNotes('');
      setAction('');
      setVulns('');
      setVendor('');
    },
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate(undefined);
  }
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) add.reset();
      }}
      title="Add a weakness"
      description="A weakness in technology, configuration, identity, process or architecture that enabled the incident or made it worse: not CVEs only."
      trigger={<button type="button">Add weakness</button>}
    >
      <form className="form" onSubmit={submit}>
        <fieldset className="choices">
          <legend>Type</legend>
          {WEAKNESS_TYPES.map((t) => (
            <label key={t} className="choice">
              <input type="radio" name="weakness-type" value={t} checked={type === t} onChange={() => setType(t)} aria-describedby={`type-help-${t}`} />
              <span>
                {WEAKNESS_TYPE_HELP[t].label}
                <span id={`type-help-${t}`} className="hint">
                  {WEAKNESS_TYPE_HELP[t].help}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        <fieldset className="choices">
          <legend>Relation to the incident</legend>
          {WEAKNESS_RELATIONS.map((r) => (
            <label key={r} className="choice">
              <input type="radio" name="weakness-relation" value={r} checked={relation === r} onChange={() => setRelation(r)} aria-describedby={`relation-help-${r}`} />
              <span>
                {RELATION_HELP[r].label}
                <span id={`relation-help-${r}`} className="hint">
                  {RELATION_HELP[r].help}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        <label>
          Affected assets <span className="hint">asset ids, separated by commas (at least one)</span>
          <input required value={assets} onChange={(e) => setAssets(e.target.value)} />
        </label>
        <label>
          Vulnerability ids <span className="hint">optional: CVE, GHSA or vendor ids, separated by commas</span>
          <input value={vulns} onChange={(e) => setVulns(e.target.value)} />
        </label>
        <label>
          Exploitability and exposure notes
          <textarea required value={notes} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <label>
          Recommended corrective action
          <textarea required value={action} onChange={(e) => setAction(e.target.value)} />
        </label>
        <label>
          Third-party vendor{' '}
          <span className="hint">{type === 'third_party' ? 'required for a third-party weakness: the vendor id from the routing configuration' : 'optional'}</span>
          <input required={type === 'third_party'} value={vendor} onChange={(e) => setVendor(e.target.value)} />
        </label>
        <ErrorNotice error={add.error} title="The weakness was not added" />
        <DialogButtons submit="Add weakness" pending={add.isPending} />
      </form>
    </FormDialog>
  );
}

function NoneIdentified({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const [rationale, setRationale] = useState('');
  const mark = useIncidentChange(id, () => incidentApi.noneIdentified(id, rationale.trim()), () => setOpen(false));
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) mark.reset();
      }}
      title="No weakness identified"
      description="Record explicitly that this incident revealed no weakness, and why: the report-out is then complete and can be sent."
      trigger={<button type="button">Mark none identified</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          mark.mutate(undefined);
        }}
      >
        <label>
          Rationale
          <textarea required value={rationale} onChange={(e) => setRationale(e.target.value)} />
        </label>
        <ErrorNotice error={mark.error} title="The report-out was not marked" />
        <DialogButtons submit="Record none identified" pending={mark.isPending} />
      </form>
    </FormDialog>
  );
}

/** Where a role stands: delivered, failed, queued or not sent. */
export function deliveryWords(e: RoleEvidence): { text: string; tone: 'good' | 'bad' | 'warn' | 'neutral' } {
  const reportouts = e.messages.filter((m) => m.purpose === 'reportout');
  if (reportouts.length === 0) return { text: 'Not sent', tone: 'neutral' };
  if (reportouts.some((m) => m.status === 'delivered')) return { text: 'Delivered', tone: 'good' };
  if (reportouts.every((m) => m.status === 'failed')) return { text: 'Failed', tone: 'bad' };
  return { text: 'Queued', tone: 'warn' };
}

function Evidence({ view }: { view: IncidentView }) {
  const session = useSession();
  const inc = view.incident;
  const closed = inc.state === 'closed' || inc.state === 'closed_non_incident';
  if (view.evidence.length === 0) return <Empty>No recipient role is configured.</Empty>;
  return (
    <TableWrap label="Delivery and acknowledgment by role">
      <table aria-label="Delivery and acknowledgment by role">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Delivery</th>
            <th scope="col">Acknowledged</th>
            <th scope="col">Overdue</th>
            <th scope="col">
              <span className="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {view.evidence.map((e) => {
            const d = deliveryWords(e);
            const sentToRole = e.messages.some((m) => m.purpose === 'reportout');
            const reminded = e.acknowledgment === null && e.messages.some((m) => m.purpose === 'reminder');
            const mayAck = !closed && sentToRole && e.acknowledgment === null && session.roles.includes(e.role);
            const required = view.required_roles.includes(e.role);
            return (
              <tr key={e.role} className={reminded ? 'overdue' : undefined}>
                <th scope="row">
                  {roleWords(e.role)}
                  {!required && <span className="hint"> (not required)</span>}
                </th>
                <td>
                  <Badge tone={d.tone}>{d.text}</Badge>
                  {e.messages
                    .filter((m) => m.purpose === 'reportout')
                    .map((m) => (
                      <div key={m.id} className="small">
                        {m.channel} to {m.address}
                        {m.revision !== null && <> (revision {m.revision})</>}: {m.status}
                        {m.delivered_at !== null && (
                          <>
                            {' '}
                            <Time at={m.delivered_at} />
                          </>
                        )}
                        {m.last_error !== null && <span className="error-text"> ({m.last_error})</span>}
                      </div>
                    ))}
                </td>
                <td>
                  {e.acknowledgment === null ? (
                    <span className="muted">Not yet</span>
                  ) : (
                    <>
                      by {e.acknowledgment.actor} <Time at={e.acknowledgment.at} />
                      {e.acknowledgment.via !== null && <> via {e.acknowledgment.via}</>} (revision {e.acknowledgment.revision})
                      {e.acknowledgment.comment !== null && <div className="small">“{e.acknowledgment.comment}”</div>}
                    </>
                  )}
                  {e.superseded.length > 0 && <div className="small muted">{e.superseded.length} earlier acknowledgment(s) asked again after a new revision</div>}
                </td>
                <td>{reminded ? <Badge tone="bad">Overdue: reminded</Badge> : <span className="muted">No</span>}</td>
                <td>{mayAck && <AckButton id={inc.id} role={e.role} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

function AckButton({ id, role }: { id: string; role: string }) {
  const ack = useIncidentChange(id, () => incidentApi.acknowledge(id, role));
  return (
    <>
      <button type="button" className="primary" disabled={ack.isPending} onClick={() => ack.mutate(undefined)}>
        Acknowledge as {role}
      </button>
      <ErrorNotice error={ack.error} title="The acknowledgment was not recorded" />
    </>
  );
}
