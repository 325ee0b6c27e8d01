import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the native <dialog> element: the browser keeps focus inside, Escape closes it, and
 * focus returns to the control that opened it. Rendered only while open.
 */
export function Dialog({ title, onClose, children, description }: { title: string; onClose: () => void; children: ReactNode; description?: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    return () => {
      dialog?.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-body">
        <h2 id={titleId}>{title}</h2>
        {description ? (
          <p id={descriptionId} className="muted">
            {description}
          </p>
        ) : null}
        {children}
      </div>
    </dialog>
  );
}

/** "Are you sure?" with the consequence spelled out, and the action's own word on the button. */
export function ConfirmDialog(props: {
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
  children?: ReactNode;
}) {
  return (
    <Dialog title={props.title} description={props.description} onClose={props.onClose}>
      {props.children}
      {props.error ? (
        <div className="alert alert-error" role="alert">
          {props.error}
        </div>
      ) : null}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className={`btn ${props.danger ? 'btn-danger btn-solid' : 'btn-primary'}`} onClick={props.onConfirm} disabled={props.busy}>
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
