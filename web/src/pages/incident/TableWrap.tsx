import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways on a narrow screen: keyboard users reach the scroll by focusing the
 * wrapper, which is named after its table.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="group" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
