import { useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { ApiProblem, messageOf } from '../api/client';

/** A labelled control with its hint and its error right under it (the error is announced with the field). */
function FieldFrame(props: { id: string; label: string; hint?: ReactNode; error?: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && !props.error ? (
        <span className="hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      {props.error ? (
        <span className="field-error" id={`${props.id}-error`}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}

type Labelled = { label: string; hint?: ReactNode; error?: string };

export function TextField({ label, hint, error, ...input }: Labelled & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
    </FieldFrame>
  );
}

/** The "confirm it is you" password box of sensitive account changes: one label, one autocomplete hint. */
export function ConfirmPasswordField({
  value,
  onValueChange,
  ...rest
}: Omit<Labelled, 'label'> & { value: string; onValueChange: (value: string) => void; autoFocus?: boolean }) {
  return <TextField label="Password" type="password" autoComplete="current-password" value={value} onChange={(e) => onValueChange(e.target.value)} {...rest} />;
}

export function TextAreaField({ label, hint, error, ...input }: Labelled & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
    </FieldFrame>
  );
}

/** A checkbox with its label beside it and a hint under it. */
export function CheckboxField({ label, hint, ...input }: Omit<Labelled, 'error'> & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const id = useId();
  return (
    <div className="field check">
      <div className="check-row">
        <input id={id} type="checkbox" aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
        <label htmlFor={id}>{label}</label>
      </div>
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function SelectField({
  label,
  hint,
  error,
  options,
  ...select
}: Labelled & SelectHTMLAttributes<HTMLSelectElement> & { options: ReadonlyArray<{ value: string; label: string }> }) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...select}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/**
 * The state of one form that talks to the API: busy while it runs, and afterwards the problem to show.
 * Field errors sit next to their fields (`fieldError`): the API's VALIDATION_FAILED fields, and codes that
 * are about one field (`codeFields`, e.g. PASSWORD_TOO_WEAK → the password); the rest shows above the button.
 */
export function useSubmit<T>(action: () => Promise<T>, onDone?: (result: T) => void, codeFields: Record<string, string> = {}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function run(event?: FormEvent) {
    event?.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      setBusy(false);
      onDone?.(result);
    } catch (caught) {
      setBusy(false);
      setError(caught);
    }
  }
  const problem = error instanceof ApiProblem ? error : null;
  const fields: Record<string, string> = { ...(problem?.fields ?? {}) };
  const codeField = problem ? codeFields[problem.code] : undefined;
  if (problem && codeField) fields[codeField] = problem.message;
  const onlyFields = Object.keys(fields).length > 0 && (problem?.code === 'VALIDATION_FAILED' || codeField !== undefined);
  return {
    busy,
    error,
    code: problem?.code ?? null,
    run,
    reset: () => setError(null),
    /** The problem with one field (by the API's field name, or an element of it: `allowed_ips.2`), if the API named it. */
    fieldError: (...names: string[]) =>
      names.map((name) => fields[name] ?? Object.entries(fields).find(([key]) => key.startsWith(`${name}.`))?.[1]).find(Boolean),
    /** The sentence for the whole form, unless the problem is all about fields shown beside them. */
    formError: error && !onlyFields ? messageOf(error) : null,
  };
}

export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      {message}
    </div>
  );
}

/**
 * One-click actions on a list's rows (change a role, resend, remove): runs one, keeps its refusal to
 * show above the list, then reloads the list whatever happened.
 */
export function useRowAction(reload: () => Promise<unknown>) {
  const [error, setError] = useState<string | null>(null);
  async function run(action: () => Promise<unknown>, onDone?: () => void) {
    setError(null);
    try {
      await action();
      onDone?.();
    } catch (caught) {
      setError(messageOf(caught));
    }
    await reload();
  }
  return { error, run };
}
