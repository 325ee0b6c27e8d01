import { useEffect } from 'react';
import { Link } from 'react-router';

export function Logo() {
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" className="logo-bg" />
      <path d="M10 8h12v3.2h-8.4v3.6h7.4V18h-7.4v6H10z" fill="var(--surface)" />
    </svg>
  );
}

export function Brand({ to = '/' }: { to?: string }) {
  return (
    <Link to={to} className="brand" aria-label="FuncSpec home">
      <Logo />
      <span className="brand-name">FuncSpec</span>
    </Link>
  );
}

/** The page's title in the tab and for screen readers announcing navigation. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · FuncSpec` : 'FuncSpec';
  }, [title]);
}
