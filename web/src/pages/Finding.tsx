import { Page } from '../components/Page';

export default function Finding() {
  return (
    <Page title="Finding">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
