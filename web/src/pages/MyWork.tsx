import { Page } from '../components/Page';

export default function MyWork() {
  return (
    <Page title="MyWork">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
