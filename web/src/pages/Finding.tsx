/**
 * A finding: its facts, the explanation of its latest decision (the facts and rule lines behind it),
 * the analyst verdicts on it with a form to record one, and — when it escalated — the handoff note
 * of its incident, ready to copy.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { getFinding, getHandoff, getWhy, setVerdict, type FindingView, type VerdictInput, type WhyView } from '../api/vr';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Empty, Loading, Page } from '../components/Page';
import { Time } from '../components/Time';
import { FLAG_WORDS, humanize, NEXT_ACTION_WORDS, STAY_WORDS, TRIGGER_WORDS, wordFor } from './vr/words';

const VALIDATIONS = ['unvalidated', 'validated', 'not_affected', 'false_positive'] as const;
const REACHABILITIES = ['reachable', 'unreachable', 'unknown'] as const;

function sourceText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (typeof source === 'object' && source !== null) {
    return Object.entries(source)
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  }
  return '—';
}

function containmentText(c: string | boolean | null): string {
  if (c === null || c === false) return 'not needed';
  if (c === true) return 'needed';
  return `needed: ${humanize(c)}`;
}

export default function Finding() {
  const { id = '' } = useParams();
  const can = useCan();
  const finding = useQuery({ queryKey: ['finding', id], queryFn: () => getFinding(id), enabled: can('vr.triage') });
  const why = useQuery({
    queryKey: ['finding', id, 'why'],
    queryFn: () => getWhy(id),
    enabled: finding.data?.decision !== null && finding.data !== undefined,
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
  });
  return (
    <Page title={`Finding ${id}`}>
      <p>
        <Link to="/vulnerabilities?tab=decisions">← Escalations and stays</Link>
      </p>
      {!can('vr.triage') && <p>Findings are for vulnerability management and incident responders; your roles do not include them. Ask an administrator if you need them.</p>}
      {can('vr.triage') && finding.isPending && <Loading what="Loading the finding" />}
      <ErrorNotice error={finding.error} title="The finding could not be loaded" />
      {finding.data !== undefined && (
        <>
          <Facts f={finding.data} />
          <section aria-labelledby="decision-heading">
            <h2 id="decision-heading">Decision</h2>
            {finding.data.decision === null ? (
              <Empty>This finding has not been decided yet: run triage on the Vulnerability response page.</Empty>
            ) : (
              <div className="panel">
                <Brief d={finding.data.decision} incident={why.data?.incident ?? null} />
                {why.isPending && <Loading what="Loading the explanation" />}
                <ErrorNotice error={why.error} title="The explanation could not be loaded" />
                {why.data !== undefined && <Why w={why.data} />}
              </div>
            )}
          </section>
          <Verdicts f={finding.data} />
          {why.data?.incident != null && <Handoff incident={why.data.incident} />}
        </>
      )}
    </Page>
  );
}

function Facts({ f }: { f: FindingView }) {
  const x = f.finding;
  return (
    <section aria-labelledby="facts-heading" className="panel">
      <h2 id="facts-heading">Facts</h2>
      <dl className="facts">
        <dt>Vulnerability</dt>
        <dd>{x.vulnerability}</dd>
        <dt>Asset</dt>
        <dd>{x.asset}</dd>
        <dt>Component</dt>
        <dd>{x.component ? `${x.component}${x.version ? ` ${x.version}` : ''}` : '—'}</dd>
        <dt>Source</dt>
        <dd className="wrap">{sourceText(x.source)}</dd>
        <dt>Status</dt>
        <dd>{humanize(x.status)}</dd>
        <dt>Validation</dt>
        <dd>
          {humanize(x.validation)}
          {x.ruled_out_by ? ` (ruled out by ${x.ruled_out_by})` : ''}
        </dd>
        <dt>Reachability</dt>
        <dd>
          {humanize(x.reachability)}
          {x.check ? ` (${x.check} check)` : ''}
        </dd>
        {x.where !== null && (
          <>
            <dt>Seen on</dt>
            <dd className="wrap">
              {x.where.port === null ? 'the host' : `${x.where.protocol ?? 'port'}/${x.where.port}${x.where.service === null ? '' : ` (${x.where.service})`}`}
              {x.where.vantage_point === null ? '' : `, from ${x.where.vantage_point}`}
            </dd>
          </>
        )}
        <dt>Containment</dt>
        <dd>{containmentText(x.containment_needed)}</dd>
        <dt>First seen</dt>
        <dd>
          <Time at={x.first_seen} />
        </dd>
        <dt>Last seen</dt>
        <dd>
          <Time at={x.last_seen} />
        </dd>
      </dl>
    </section>
  );
}

/** The decision in brief: outcome, the triggers that fired or why it stays, when and by which ruleset. */
function Brief({ d, incident }: { d: NonNullable<FindingView['decision']>; incident: string | null }) {
  const escalated = d.outcome === 'escalate';
  const reasons = escalated ? d.triggers.map((t) => wordFor(TRIGGER_WORDS, t)) : d.stay_reasons.map((r) => wordFor(STAY_WORDS, r));
  return (
    <>
      <p className="decision-brief">
        {escalated ? <Badge tone="bad">Escalate</Badge> : <Badge tone="neutral">Stay</Badge>}
        <span>
          decided <Time at={d.decided_at} /> with ruleset {d.ruleset} (engine {d.engine})
          {incident !== null && (
            <>
              {' '}
              · handed to <Link to={`/incidents/${encodeURIComponent(incident)}`}>{incident}</Link>
            </>
          )}
        </span>
      </p>
      <h3>{escalated ? 'Triggers that fired' : 'Why it stays'}</h3>
      <ul>
        {reasons.map((t) => (
          <li key={t}>{t}</li>
        ))}
        {reasons.length === 0 && <li className="muted">{escalated ? 'none recorded' : 'no trigger fired and no stay reason applies'}</li>}
      </ul>
    </>
  );
}

/** What `why` adds: flags, next actions, SSVC, the evidence and the rule lines of the replay. */
function Why({ w }: { w: WhyView }) {
  return (
    <>
      <p>CISA SSVC cross-check: {w.ssvc}.</p>
      {w.flags.length > 0 && (
        <p>
          {w.flags.map((f) => (
            <Badge key={f} tone="warn">
              {wordFor(FLAG_WORDS, f)}
            </Badge>
          ))}
        </p>
      )}
      {w.next_actions.length > 0 && <p>Next actions: {w.next_actions.map((a) => wordFor(NEXT_ACTION_WORDS, a)).join(', ')}.</p>}
      {w.evidence.length > 0 && (
        <>
          <h3>Evidence</h3>
          <ul>
            {w.evidence.map((e) => (
              <li key={e} className="wrap">
                {e}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Rule lines</h3>
      {w.explanation.length === 0 ? (
        <Empty>No rule lines: {w.replay.message}</Empty>
      ) : (
        <ol className="rule-lines">
          {w.explanation.map((l, i) => (
            <li key={i} className={l.holds ? 'holds' : 'fails'}>
              <span className="rule">
                {l.holds ? <Badge tone="good">holds</Badge> : <Badge tone="neutral">does not hold</Badge>} {l.rule}
              </span>
              {l.facts.length > 0 && (
                <ul className="small">
                  {l.facts.map((fact, j) => (
                    <li key={j}>{fact}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      <p className={w.replay.verified ? 'small muted' : 'notice'}>{w.replay.message}</p>
    </>
  );
}

function Verdicts({ f }: { f: FindingView }) {
  const can = useCan();
  return (
    <section aria-labelledby="verdicts-heading">
      <h2 id="verdicts-heading">Verdicts</h2>
      {f.verdicts.length === 0 ? (
        <Empty>No analyst verdict on this finding yet.</Empty>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Verdicts table">
          <table aria-label="Verdicts">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Set</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {f.verdicts.map((v) => (
                <tr key={v.id}>
                  <td>
                    <Time at={v.at} />
                  </td>
                  <td>{v.actor}</td>
                  <td>
                    {[
                      v.set.validation !== null ? `validation ${humanize(v.set.validation)}` : null,
                      v.set.reachability !== null ? `reachability ${humanize(v.set.reachability)}` : null,
                      v.set.containment_needed !== null ? `containment ${containmentText(v.set.containment_needed)}` : null,
                    ]
                      .filter((s) => s !== null)
                      .join('; ')}
                  </td>
                  <td className="wrap">{v.note}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can('vr.verdict') && <VerdictForm f={f} />}
    </section>
  );
}

function VerdictForm({ f }: { f: FindingView }) {
  const qc = useQueryClient();
  const id = f.finding.id;
  const [validation, setValidation] = useState('');
  const [reachability, setReachability] = useState('');
  const [containment, setContainment] = useState('');
  const [note, setNote] = useState('');
  const save = useMutation({
    mutationFn: (v: VerdictInput) => setVerdict(id, v),
    onSuccess: () => {
      setValidation('');
      setReachability('');
      setContainment('');
      setNote('');
      for (const key of [['finding', id], ['decisions'], ['metrics'], ['incidents']]) void qc.invalidateQueries({ queryKey: key });
    },
  });
  const nothing = validation === '' && reachability === '' && containment === '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v: VerdictInput = { note };
    if (validation !== '') v.validation = validation;
    if (reachability !== '') v.reachability = reachability;
    if (containment === 'none') v.containment = false;
    else if (containment === 'needed') v.containment = true;
    else if (containment !== '') v.containment = containment;
    save.mutate(v);
  };
  const r = save.data;
  return (
    <form className="form panel" onSubmit={submit} aria-labelledby="verdict-form-heading">
      <h3 id="verdict-form-heading">Record a verdict</h3>
      <p className="hint">
        Set at least one field. The finding is decided again at once; an escalation is handed to incident response. To escalate on your judgement, set the containment action it needs (the
        containment-needed trigger).
      </p>
      <label>
        Validation
        <select value={validation} onChange={(e) => setValidation(e.target.value)}>
          <option value="">Leave as is ({humanize(f.finding.validation)})</option>
          {VALIDATIONS.map((v) => (
            <option key={v} value={v}>
              {humanize(v)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reachability
        <select value={reachability} onChange={(e) => setReachability(e.target.value)}>
          <option value="">Leave as is ({humanize(f.finding.reachability)})</option>
          {REACHABILITIES.map((v) => (
            <option key={v} value={v}>
              {humanize(v)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Containment
        <select value={containment} onChange={(e) => setContainment(e.target.value)}>
          <option value="">Leave as is ({containmentText(f.finding.containment_needed)})</option>
          <option value="none">Not needed (clear the flag)</option>
          <option value="needed">Needed</option>
          <option value="isolation">Needed: isolation</option>
          <option value="access_shutdown">Needed: access shutdown</option>
          <option value="account_reset">Needed: account reset</option>
          <option value="feature_disablement">Needed: feature disablement</option>
          <option value="emergency_waf_rule">Needed: emergency WAF rule</option>
          <option value="service_removal">Needed: service removal</option>
          <option value="forced_patching">Needed: forced patching</option>
        </select>
      </label>
      <label>
        Why (note)
        <textarea value={note} onChange={(e) => setNote(e.target.value)} required />
      </label>
      <div>
        <button type="submit" className="primary" disabled={save.isPending || nothing || note.trim() === ''}>
          {save.isPending ? 'Saving…' : 'Save verdict'}
        </button>
      </div>
      <ErrorNotice error={save.error} title="The verdict was not saved" />
      {r !== undefined && (
        <p role="status" className="notice notice-ok">
          Verdict saved; the finding now {r.decision.outcome === 'escalate' ? 'escalates' : 'stays'}
          {r.incident !== null && (
            <>
              {' '}
              and was handed to <Link to={`/incidents/${encodeURIComponent(r.incident.incident)}`}>{r.incident.incident}</Link>
              {r.incident.created ? ' (opened)' : ''}
            </>
          )}
          .
        </p>
      )}
    </form>
  );
}

function Handoff({ incident }: { incident: string }) {
  const q = useQuery({ queryKey: ['handoff', incident], queryFn: () => getHandoff(incident) });
  return (
    <section aria-labelledby="handoff-heading">
      <h2 id="handoff-heading">
        Handoff note of <Link to={`/incidents/${encodeURIComponent(incident)}`}>{incident}</Link>
      </h2>
      {q.isPending && <Loading what="Loading the handoff note" />}
      <ErrorNotice error={q.error} title="The handoff note could not be loaded" />
      {q.data !== undefined && q.data.length === 0 && <Empty>{incident} has no handoff note (it was not opened by an escalation).</Empty>}
      {q.data?.map((n) => (
        <NoteBlock key={n.id} id={n.id} at={n.created_at} markdown={n.markdown} />
      ))}
    </section>
  );
}

function NoteBlock({ id, at, markdown }: { id: string; at: string; markdown: string }) {
  const pre = useRef<HTMLPreElement>(null);
  const [said, setSaid] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(markdown);
      setSaid('Copied to the clipboard.');
    } catch {
      // no clipboard access (an insecure origin, a refused permission): select the text for the person to copy
      const node = pre.current;
      const sel = window.getSelection();
      if (node !== null && sel !== null) {
        const range = document.createRange();
        range.selectNodeContents(node);
        sel.removeAllRanges();
        sel.addRange(range);
      }
      setSaid('The clipboard is not available here: the note is selected, press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  };
  return (
    <div className="panel">
      <div className="note-head">
        <span className="small muted">
          {id} · <Time at={at} />
        </span>
        <button type="button" onClick={() => void copy()} aria-label={`Copy handoff note ${id}`}>
          Copy
        </button>
        <span role="status" className="small">
          {said}
        </span>
      </div>
      <pre ref={pre} tabIndex={0} aria-label={`Handoff note ${id}`}>
        {markdown}
      </pre>
    </div>
  );
}
