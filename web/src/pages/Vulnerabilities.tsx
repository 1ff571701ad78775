/**
 * Vulnerability response: imports, triage, and the escalations and stays, as tabs whose choice is
 * in the address (`?tab=`), as are the decision filters.
 */
import { Tabs } from 'radix-ui';
import { Link, useSearchParams } from 'react-router';
import { useCan } from '../auth/session';
import { Page } from '../components/Page';
import { DecisionsPanel } from './vr/Decisions';
import { ImportsPanel } from './vr/Imports';
import { TriagePanel } from './vr/Triage';

const TABS = [
  { id: 'imports', label: 'Imports' },
  { id: 'triage', label: 'Triage' },
  { id: 'decisions', label: 'Escalations and stays' },
] as const;
type TabId = (typeof TABS)[number]['id'];

export default function Vulnerabilities() {
  const [params, setParams] = useSearchParams();
  const can = useCan();
  const mayTriage = can('vr.triage') || can('vr.escalate');
  if (!can('vr.triage')) {
    return (
      <Page title="Vulnerability response">
        <p>Imports and triage decisions are for vulnerability management and incident responders. Your roles do not include them: ask an administrator if you need them.</p>
        <p>
          Escalations handed to incident response are in the <Link to="/incidents">incident list</Link>; the figures are on the <Link to="/dashboard">dashboard</Link>.
        </p>
      </Page>
    );
  }
  const tabs = TABS.filter((t) => mayTriage || t.id !== 'triage');
  const asked = params.get('tab');
  const tab: TabId = tabs.some((t) => t.id === asked) ? (asked as TabId) : 'imports';
  return (
    <Page title="Vulnerability response">
      <Tabs.Root
        value={tab}
        onValueChange={(v) => {
          // each tab starts from its own address: the filters of one do not leak into another
          setParams(v === 'imports' ? {} : { tab: v });
        }}
      >
        <Tabs.List className="tabs-list" aria-label="Vulnerability response">
          {tabs.map((t) => (
            <Tabs.Trigger key={t.id} value={t.id}>
              {t.label}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        <Tabs.Content value="imports">
          <ImportsPanel />
        </Tabs.Content>
        {mayTriage && (
          <Tabs.Content value="triage">
            <TriagePanel />
          </Tabs.Content>
        )}
        <Tabs.Content value="decisions">
          <DecisionsPanel />
        </Tabs.Content>
      </Tabs.Root>
    </Page>
  );
}
