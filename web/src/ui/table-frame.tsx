import type { ReactNode } from 'react';

/**
 * The frame of a data table: on a narrow screen the table scrolls sideways inside it, and the frame
 * takes keyboard focus (a named region) so that scrolling works without a mouse too.
 */
export function TableFrame({ label, className = '', children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div className={`table-wrap ${className}`.trim()} tabIndex={0} role="region" aria-label={`${label} (scrolls sideways on small screens)`}>
      {children}
    </div>
  );
}
