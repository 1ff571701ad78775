import type { ReactNode } from 'react';

/**
 * A table's scrolling box (a phone shows wide tables sideways) that takes the keyboard focus, so a
 * table with nothing focusable in it can still be scrolled without a mouse.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
