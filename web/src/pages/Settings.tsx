/**
 * Settings, in tabs (the tab in the query string): people and roles, API tokens, the
 * configuration (control card, routing, workflow) and the role × action matrix. Each tab is there
 * only for the roles that may use it.
 */
import { useQuery } from '@tanstack/react-query';
import { Tabs } from 'radix-ui';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { workApi } from '../api/work';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading, Page } from '../components/Page';
import { ConfigurationTab, MatrixTab } from './settings/Configuration';
import { PeopleTab } from './settings/People';
import { TokensTab } from './settings/Tokens';

export default function Settings() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const readSettings = can('settings.read');
  const settings = useQuery({ queryKey: ['settings'], queryFn: workApi.settings, enabled: readSettings, staleTime: 300_000 });
  const tabs = [
    { value: 'people', label: 'People & roles', shown: can('people.read') || can('people.manage') },
    { value: 'tokens', label: 'API tokens', shown: can('token.manage') },
    { value: 'configuration', label: 'Control card & routing', shown: readSettings },
    { value: 'matrix', label: 'Role matrix', shown: readSettings },
  ].filter((t) => t.shown);
  const asked = params.get('tab');
  const current = tabs.find((t) => t.value === asked)?.value ?? tabs[0]?.value;
  const knownRoles = settings.data?.policy.roles ?? [];
  const settingsBody = (render: (s: NonNullable<typeof settings.data>) => ReactNode) =>
    settings.isPending ? <Loading what="Reading the configuration" /> : settings.isError ? <ErrorNotice error={settings.error} title="The configuration could not be read" /> : render(settings.data);
  return (
    <Page title="Settings">
      {current === undefined ? (
        <p>Your roles give access to no settings.</p>
      ) : (
        <Tabs.Root
          value={current}
          onValueChange={(v) =>
            setParams((p) => {
              const n = new URLSearchParams(p);
              n.set('tab', v);
              return n;
            })
          }
        >
          <Tabs.List className="tabs-list" aria-label="Settings sections">
            {tabs.map((t) => (
              <Tabs.Trigger key={t.value} value={t.value}>
                {t.label}
              </Tabs.Trigger>
            ))}
          </Tabs.List>
          {tabs.some((t) => t.value === 'people') && (
            <Tabs.Content value="people">
              <PeopleTab knownRoles={knownRoles} />
            </Tabs.Content>
          )}
          {tabs.some((t) => t.value === 'tokens') && (
            <Tabs.Content value="tokens">
              <TokensTab />
            </Tabs.Content>
          )}
          {readSettings && (
            <>
              <Tabs.Content value="configuration">{settingsBody((s) => <ConfigurationTab settings={s} />)}</Tabs.Content>
              <Tabs.Content value="matrix">{settingsBody((s) => <MatrixTab settings={s} />)}</Tabs.Content>
            </>
          )}
        </Tabs.Root>
      )}
    </Page>
  );
}
