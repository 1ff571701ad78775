/**
 * A moment as the viewer reads it: date and time in the browser's time zone, the UTC value on
 * hover (and to screen readers through the <time> element's dateTime and title).
 */
const LOCAL = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const LOCAL_DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatLocal(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : LOCAL.format(d);
}

export function Time({ at, dateOnly = false }: { at: string | null | undefined; dateOnly?: boolean }) {
  if (at === null || at === undefined || at === '') return <span className="muted">—</span>;
  // a bare date (YYYY-MM-DD: due dates, review dates) is a calendar day, not a moment: no zone shift
  if (/^\d{4}-\d{2}-\d{2}$/.test(at)) {
    const [y, m, d] = at.split('-').map(Number) as [number, number, number];
    return (
      <time dateTime={at} title={`${at} (calendar day)`}>
        {LOCAL_DATE.format(new Date(y, m - 1, d))}
      </time>
    );
  }
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{at}</span>;
  const utc = `${d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '')} UTC`;
  return (
    <time dateTime={d.toISOString()} title={utc}>
      {dateOnly ? LOCAL_DATE.format(d) : LOCAL.format(d)}
    </time>
  );
}
