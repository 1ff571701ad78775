/**
 * The configuration, read-only: the control card and its versions, routing (each role's, service's and vendor's
 * routes), the workflow and the closure gate, and the role × action matrix of the policy. Secrets
 * arrive from the server as `env:NAME` references only.
 */
import type { Route, Settings } from '../../api/work';
import { TableWrap } from '../work/TableWrap';
import { ControlCardHistory } from './ControlCardHistory';

function Routes({ routes }: { routes: readonly Route[] }) {
  if (routes.length === 0) return <span className="muted">no route</span>;
  return (
    <ul className="plain-list">
      {routes.map((r, i) => (
        <li key={i}>
          {r.channel}: <code>{r.target}</code>
        </li>
      ))}
    </ul>
  );
}

function RouteTable({ label, first, rows }: { label: string; first: string; rows: [string, readonly Route[]][] }) {
  if (rows.length === 0) return <p className="empty">None configured.</p>;
  return (
    <TableWrap label={label}>
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col">Routes</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, routes]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>
                <Routes routes={routes} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function ConfigurationTab({ settings: s }: { settings: Settings }) {
  const card = s.control_card;
  const serviceRows: [string, Route[]][] = Object.entries(s.routing.services).flatMap(([service, byRole]) => Object.entries(byRole).map(([role, routes]): [string, Route[]] => [`${service} · ${role}`, routes]));
  return (
    <>
      <h2>Control card</h2>
      <dl className="facts panel">
        <dt>Control</dt>
        <dd>
          {card.id} (version {card.version})
        </dd>
        <dt>Objective</dt>
        <dd>{card.objective}</dd>
        <dt>Owner role</dt>
        <dd>{card.owner_role}</dd>
        <dt>Triggers</dt>
        <dd>{card.triggers.join(', ')}</dd>
        <dt>Report-out recipients</dt>
        <dd>{card.recipient_roles.join(', ')}</dd>
        <dt>Workflow steps</dt>
        <dd>
          <ol className="plain-list numbered">
            {card.workflow_steps.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ol>
        </dd>
        <dt>Risk acceptance approvers</dt>
        <dd>{card.exception_rules.approver_roles.join(', ')}</dd>
        <dt>Longest review period</dt>
        <dd>{card.exception_rules.max_review_days} days</dd>
        <dt>Requester may approve</dt>
        <dd>{card.exception_rules.requester_may_not_approve ? 'no (segregation of duties)' : 'yes'}</dd>
        <dt>Evidence kept in</dt>
        <dd>{card.evidence_location}</dd>
        <dt>Closure gate</dt>
        <dd>{s.gate.mode === 'hard' ? 'hard: an incident cannot close with items missing' : 'soft: closing with items missing is recorded as an exception'}</dd>
        <dt>People in the directory</dt>
        <dd>{s.people.count}</dd>
      </dl>
      <ControlCardHistory />
      <h2>Routing</h2>
      <h3>By role</h3>
      <RouteTable label="Routes by role" first="Role" rows={Object.entries(s.routing.roles)} />
      <h3>By service</h3>
      <RouteTable label="Routes by service" first="Service · role" rows={serviceRows} />
      <h3>By vendor</h3>
      <RouteTable label="Routes by vendor" first="Vendor" rows={Object.entries(s.routing.vendors)} />
      <h2>Workflow</h2>
      <pre aria-label="Workflow settings">{JSON.stringify(s.workflow, null, 2)}</pre>
      <h2>Delivery</h2>
      <pre aria-label="Delivery settings">{JSON.stringify(s.delivery, null, 2)}</pre>
    </>
  );
}

/** Whether a role may do an action: admins may do everything the policy lists. */
export function grants(s: Settings, role: string, action: string): boolean {
  return role === 'admin' || (s.policy.actions[action] ?? []).includes(role);
}

export function MatrixTab({ settings: s }: { settings: Settings }) {
  const actions = Object.keys(s.policy.actions);
  return (
    <>
      <h2>Roles and actions</h2>
      <p className="muted">Which role may do what. Deciding risk acceptances also needs an approver role from the control card ({s.control_card.exception_rules.approver_roles.join(', ')}).</p>
      <TableWrap label="Role and action matrix">
        <table className="matrix" aria-label="Role and action matrix">
          <thead>
            <tr>
              <th scope="col">Action</th>
              {s.policy.roles.map((r) => (
                <th key={r} scope="col">
                  {r}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a}>
                <th scope="row">
                  <code>{a}</code>
                </th>
                {s.policy.roles.map((r) =>
                  grants(s, r, a) ? (
                    <td key={r} className="grant">
                      <span aria-hidden="true">✓</span>
                      <span className="visually-hidden">
                        {r} may {a}
                      </span>
                    </td>
                  ) : (
                    <td key={r}>
                      <span className="visually-hidden">
                        {r} may not {a}
                      </span>
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}
