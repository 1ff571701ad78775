import { Page } from '../components/Page';

export default function Audit() {
  return (
    <Page title="Audit">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
