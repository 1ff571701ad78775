import { Page } from '../components/Page';

export default function Remediation() {
  return (
    <Page title="Remediation">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
