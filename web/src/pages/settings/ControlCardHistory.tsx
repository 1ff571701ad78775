/**
 * The control card's versions: each version the store has run with, when it took effect, for
 * whom, the SHA-256 of the card as recorded, and which one is in force. An incident shows the
 * version it was opened under; this is where that number is looked up.
 */
import { useQuery } from '@tanstack/react-query';
import { workApi, type ControlCardVersion } from '../../api/work';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading } from '../../components/Page';
import { Time } from '../../components/Time';
import { TableWrap } from '../work/TableWrap';

export function ControlCardVersions({ versions }: { versions: readonly ControlCardVersion[] }) {
  if (versions.length === 0) return <p className="empty">No version recorded yet: the server records the card in force when it starts.</p>;
  return (
    <TableWrap label="Control card versions">
      <table aria-label="Control card versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Took effect</th>
            <th scope="col">Recorded by</th>
            <th scope="col">SHA-256</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((v) => (
            <tr key={v.version}>
              <th scope="row">v{v.version}</th>
              <td>
                <Time at={v.recorded_at} />
              </td>
              <td>{v.recorded_by}</td>
              <td>
                <code title={v.digest}>{v.digest.slice(0, 12)}</code>
              </td>
              <td>{v.in_force ? <strong>in force</strong> : <span className="muted">superseded</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function ControlCardHistory() {
  const history = useQuery({ queryKey: ['control-card-history'], queryFn: workApi.controlCardHistory, staleTime: 300_000 });
  return (
    <>
      <h3>Versions</h3>
      <p className="muted">
        Every change to the card in closeloop.yaml takes a new <code>control_card.version</code>; each version is recorded once, in the audit log as <code>control_card.changed</code>. Printable:{' '}
        <code>closeloop control-card --format html</code>.
      </p>
      {history.isPending ? <Loading what="Reading the card's versions" /> : history.isError ? <ErrorNotice error={history.error} title="The card's versions could not be read" /> : <ControlCardVersions versions={history.data.versions} />}
    </>
  );
}
