/** "Page 2 of 5 · 112 in all" with Previous and Next. */
export function Pager({ page, per, total, onPage, label }: { page: number; per: number; total: number; onPage: (page: number) => void; label: string }) {
  const pages = Math.max(1, Math.ceil(total / per));
  if (total <= per && page === 1) return <p className="pager muted">{total} in all</p>;
  return (
    <nav className="pager" aria-label={label}>
      <span>
        Page {page} of {pages} · {total} in all
      </span>
      <span className="row">
        <button type="button" className="btn btn-small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </button>
        <button type="button" className="btn btn-small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next
        </button>
      </span>
    </nav>
  );
}
