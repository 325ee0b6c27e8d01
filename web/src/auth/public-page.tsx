import type { ReactNode } from 'react';
import { Brand, usePageTitle } from '../ui/brand';

/** The frame of the pages a visitor sees (sign-in, sign-up, mailed links): one centred card. */
export function PublicPage({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  usePageTitle(title);
  return (
    <div className="public">
      <div className="brand-wrap">
        <Brand />
      </div>
      <main id="main" className="card">
        <h1>{title}</h1>
        {children}
      </main>
      {footer ? <footer>{footer}</footer> : null}
    </div>
  );
}
