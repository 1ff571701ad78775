/**
 * The incident's evidence bundle: a signed zip of its records with proofs from the audit log, for
 * the roles that may export it (ir_lead, grc_contact, auditor, admin). The server's refusal (no
 * signed checkpoint yet, no signing key) is shown in its own words.
 */
import { useState } from 'react';
import { API_PREFIX, apiFetch } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';

export const evidenceUrl = (id: string): string => `${API_PREFIX}/incidents/${encodeURIComponent(id)}/evidence`;

/** Fetches the bundle and hands it to the browser as a file download. */
export async function downloadEvidence(id: string): Promise<void> {
  const res = await apiFetch(evidenceUrl(id));
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = `${id}.zip`;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(href);
}

export function EvidencePanel({ id, allowed, download = downloadEvidence }: { id: string; allowed: boolean; download?: (id: string) => Promise<void> }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!allowed) return null;
  const start = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await download(id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="evidence-title" data-section="evidence">
      <h2 id="evidence-title">Evidence</h2>
      <p className="hint">
        A signed zip of every record of this incident, with proofs of its audit events to the latest signed checkpoint and an index.html to read offline. Check it with{' '}
        <code>closeloop evidence verify {id}.zip --pubkey KEY.pem</code>.
      </p>
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void start()}>
          {busy ? 'Preparing evidence…' : 'Download evidence'}
        </button>
      </div>
      <ErrorNotice error={error} title="The evidence bundle was not made" />
    </section>
  );
}
