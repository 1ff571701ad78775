import { Page } from '../components/Page';

export default function Risks() {
  return (
    <Page title="Risks">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
