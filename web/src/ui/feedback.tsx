import type { ReactNode } from 'react';
import { messageOf } from '../api/client';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Notice({ kind, children, live = false }: { kind: 'error' | 'success' | 'warning' | 'info'; children: ReactNode; live?: boolean }) {
  const role = kind === 'error' ? 'alert' : live ? 'status' : undefined;
  return (
    <div className={`alert alert-${kind}`} role={role}>
      {children}
    </div>
  );
}

export function LoadError({ error }: { error: unknown }) {
  return <Notice kind="error">{messageOf(error)}</Notice>;
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}
