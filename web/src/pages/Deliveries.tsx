import { Page } from '../components/Page';

export default function Deliveries() {
  return (
    <Page title="Deliveries">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
