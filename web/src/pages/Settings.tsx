import { Page } from '../components/Page';

export default function Settings() {
  return (
    <Page title="Settings">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
