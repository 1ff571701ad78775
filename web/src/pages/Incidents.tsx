import { Page } from '../components/Page';

export default function Incidents() {
  return (
    <Page title="Incidents">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
