import { Page } from '../components/Page';

export default function Incident() {
  return (
    <Page title="Incident">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
