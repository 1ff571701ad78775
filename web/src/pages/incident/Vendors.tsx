/**
 * Third-party notices: each third-party weakness's vendor notified through its contract channel,
 * the vendor's response (or RCA statement) recorded, or the silence chased.
 */
import { useState } from 'react';
import { incidentApi, type IncidentView, type VendorNotice, type Weakness } from '../../api/incidents';
import { useCan } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge, Empty } from '../../components/Page';
import { Time } from '../../components/Time';
import { DialogButtons, FormDialog } from './FormDialog';
import { useIncidentChange } from './useChange';

export function ThirdPartyNotices({ view }: { view: IncidentView }) {
  const can = useCan();
  const id = view.incident.id;
  const closed = view.incident.state === 'closed' || view.incident.state === 'closed_non_incident';
  const edit = !closed && can('vendor.edit');
  const tp = view.weaknesses.filter((w) => w.type === 'third_party');
  return (
    <section className="panel" aria-labelledby="vendors-title" data-section="vendors">
      <h2 id="vendors-title">Third-party notices</h2>
      {tp.length === 0 && view.third_party_notices.length === 0 ? (
        <Empty>No third-party weakness: no vendor to notify.</Empty>
      ) : (
        tp.map((w) => {
          const notices = view.third_party_notices.filter((n) => n.weakness_id === w.id);
          const sent = notices.some((n) => n.sent_at !== null);
          return (
            <div key={w.id} className="subsection">
              <h3>
                {w.id}: {w.vendor ?? 'vendor not named'}
              </h3>
              {notices.length === 0 ? <p className="muted">No notice yet: sending the report-out opens one.</p> : notices.map((n) => <Notice key={n.id} incident={id} notice={n} edit={edit} />)}
              {edit && !sent && <NotifyVendor incident={id} weakness={w} />}
            </div>
          );
        })
      )}
    </section>
  );
}

function Notice({ incident, notice, edit }: { incident: string; notice: VendorNotice; edit: boolean }) {
  const chase = useIncidentChange(incident, () => incidentApi.chaseVendor(notice.id));
  return (
    <dl className="facts">
      <dt>Notice</dt>
      <dd>
        {notice.id} <Badge tone={notice.status === 'responded' ? 'good' : notice.status === 'sent' ? 'info' : 'warn'}>{notice.status === 'responded' ? 'Responded' : notice.status === 'sent' ? 'Sent' : 'Not sent yet'}</Badge>
      </dd>
      <dt>Channel</dt>
      <dd>{notice.channel ?? <span className="muted">—</span>}</dd>
      <dt>Sent</dt>
      <dd>
        <Time at={notice.sent_at} />
      </dd>
      <dt>Internal tracking item</dt>
      <dd>{notice.tracking_item ?? <span className="muted">—</span>}</dd>
      <dt>Vendor response</dt>
      <dd>
        {notice.response !== null ? (
          <>
            <span className="prose">{notice.response}</span> <Time at={notice.responded_at} />
          </>
        ) : (
          <span className="muted">none yet</span>
        )}
      </dd>
      <dt>Chased</dt>
      <dd>
        <Time at={notice.chased_at} />
      </dd>
      {edit && notice.sent_at !== null && notice.response === null && (
        <>
          <dt>
            <span className="visually-hidden">Actions for {notice.id}</span>
          </dt>
          <dd className="row-actions">
            <RecordResponse incident={incident} notice={notice.id} />
            <button type="button" disabled={chase.isPending} onClick={() => chase.mutate(undefined)}>
              Chase {notice.vendor}
            </button>
            <ErrorNotice error={chase.error} title="The chase was not recorded" />
          </dd>
        </>
      )}
    </dl>
  );
}

function NotifyVendor({ incident, weakness }: { incident: string; weakness: Weakness }) {
  const [open, setOpen] = useState(false);
  const [channel, setChannel] = useState('');
  const [tracking, setTracking] = useState('');
  const notify = useIncidentChange(incident, () => incidentApi.notifyVendor(weakness.id, { channel: channel.trim(), ...(tracking.trim() ? { tracking_item: tracking.trim() } : {}) }), () => setOpen(false));
  const vendor = weakness.vendor ?? 'the vendor';
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) notify.reset();
      }}
      title={`Notify ${vendor}`}
      description="Record that the vendor was notified through its contractual security channel, and the internal item that tracks the fix or compensating controls."
      trigger={<button type="button">Notify {vendor}</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          notify.mutate(undefined);
        }}
      >
        <label>
          Channel <span className="hint">e.g. the vendor's security mailbox or support portal</span>
          <input required value={channel} onChange={(e) => setChannel(e.target.value)} />
        </label>
        <label>
          Internal tracking item <span className="hint">optional</span>
          <input value={tracking} onChange={(e) => setTracking(e.target.value)} />
        </label>
        <ErrorNotice error={notify.error} title="The notice was not recorded" />
        <DialogButtons submit="Record notice" pending={notify.isPending} />
      </form>
    </FormDialog>
  );
}

function RecordResponse({ incident, notice }: { incident: string; notice: string }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const record = useIncidentChange(incident, () => incidentApi.vendorResponse(notice, text.trim()), () => setOpen(false));
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) record.reset();
      }}
      title={`Vendor response to ${notice}`}
      description="The vendor's answer or RCA / vulnerability statement, as they gave it."
      trigger={<button type="button">Record response to {notice}</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          record.mutate(undefined);
        }}
      >
        <label>
          Response
          <textarea required value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <ErrorNotice error={record.error} title="The response was not recorded" />
        <DialogButtons submit="Record response" pending={record.isPending} />
      </form>
    </FormDialog>
  );
}
