import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router';

/**
 * A button that shows and hides a panel of links and buttons (a disclosure: Tab moves through the
 * entries, Escape closes and returns focus, a click elsewhere or a navigation closes it).
 */
export function MenuButton({
  label,
  buttonText,
  children,
  align = 'right',
}: {
  label: string;
  buttonText: ReactNode;
  children: ReactNode;
  align?: 'left' | 'right';
}) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const location = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a navigation closes the menu
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return (
    <div className="menu" ref={root}>
      <button
        ref={button}
        type="button"
        className="btn btn-ghost switcher-button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
      >
        <span className="truncate">{buttonText}</span>
        <span aria-hidden="true">▾</span>
      </button>
      {/* biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a click that reached a link or button inside closes the panel; the keyboard works through those controls */}
      <div
        id={panelId}
        className={`menu-panel ${align}`}
        hidden={!open}
        onClick={(event) => (event.target as HTMLElement).closest('a,button') && setOpen(false)}
      >
        {children}
      </div>
    </div>
  );
}
