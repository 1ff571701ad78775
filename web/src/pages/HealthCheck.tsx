/**
 * One health check: how its sample was drawn, the worksheet (each sampled incident's four answers,
 * evidence, control findings and notes), the control findings with their remediation items, a
 * form to add a reviewer's note, and the CSV and OSCAL downloads.
 */
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { healthCheckApi, healthCheckKeys } from '../api/healthchecks';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading, Page } from '../components/Page';
import { Time } from '../components/Time';
import { AddNote, ControlFindings, Downloads, WorksheetTable } from './healthchecks/Worksheet';

export default function HealthCheck() {
  const id = useParams().id ?? '';
  const check = useQuery({ queryKey: healthCheckKeys.one(id), queryFn: () => healthCheckApi.show(id) });
  const c = check.data;
  return (
    <Page title={`Health check ${id}`} actions={c === undefined ? undefined : <Downloads id={c.id} />}>
      {check.isPending && <Loading what="Reading the health check" />}
      <ErrorNotice error={check.error} title="The health check could not be read" />
      {c !== undefined && (
        <>
          <p>
            {c.control.id} (control card version {c.control.version}): incidents closed from {c.period.from} to {c.period.to}. {c.passed} of {c.sampled} sampled passed; {c.population} closed
            in the period. Run by {c.created_by}, <Time at={c.created_at} />.
          </p>
          <p className="small muted">
            Seed <code>{c.seed}</code>
            {c.stratify !== null ? `, stratified by ${c.stratify}` : ''}: {c.method}.
          </p>
          <h2>Worksheet</h2>
          <WorksheetTable check={c} />
          <h2>Control findings</h2>
          <ControlFindings check={c} />
          <h2>Reviewer notes</h2>
          <AddNote check={c} />
        </>
      )}
    </Page>
  );
}
