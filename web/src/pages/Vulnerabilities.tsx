import { Page } from '../components/Page';

export default function Vulnerabilities() {
  return (
    <Page title="Vulnerabilities">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
