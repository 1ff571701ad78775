import { Page } from '../components/Page';

export default function Dashboard() {
  return (
    <Page title="Dashboard">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
