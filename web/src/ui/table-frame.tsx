import type { ReactNode } from 'react';

/**
 * The frame of a data table: on a narrow screen the table scrolls sideways inside it, and the frame
 * takes keyboard focus (a named region) so that scrolling works without a mouse too.
 */
export function TableFrame({ label, className = '', children }: { label: string; className?: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex lint/a11y/useSemanticElements: a scrollable region must take focus to scroll by keyboard
    <div className={`table-wrap ${className}`.trim()} tabIndex={0} role="region" aria-label={`${label} (scrolls sideways on small screens)`}>
      {children}
    </div>
  );
}
