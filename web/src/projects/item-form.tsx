import { useState } from 'react';
import { FormError, SelectField, TextAreaField, TextField, useSubmit } from '../ui/forms';
import { options, PRIORITY_LABELS } from './shared';

export interface ItemFields {
  title: string;
  description: string;
  priority: keyof typeof PRIORITY_LABELS;
  tags: string;
}

export function tagsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** Title, Markdown description, priority and tags: the fields both "New item" and "Edit" change. */
export function ItemFieldsForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  extra,
  codeFields,
}: {
  initial: ItemFields;
  submitLabel: string;
  onSubmit: (fields: ItemFields) => Promise<unknown>;
  onCancel?: () => void;
  extra?: React.ReactNode;
  codeFields?: Record<string, string>;
}) {
  const [fields, setFields] = useState(initial);
  const submit = useSubmit(() => onSubmit(fields), undefined, codeFields);
  const set = (name: keyof ItemFields) => (e: { target: { value: string } }) => setFields({ ...fields, [name]: e.target.value });
  return (
    <form onSubmit={submit.run} noValidate>
      {extra}
      <TextField label="Title" value={fields.title} onChange={set('title')} error={submit.fieldError('title')} />
      <TextAreaField
        label="Description"
        rows={12}
        value={fields.description}
        onChange={set('description')}
        hint="Markdown: **bold**, lists, `code`, links."
        error={submit.fieldError('description')}
      />
      <div className="inline-fields">
        <SelectField
          label="Priority"
          value={fields.priority}
          onChange={set('priority')}
          options={options(PRIORITY_LABELS)}
          error={submit.fieldError('priority')}
        />
        <TextField label="Tags" value={fields.tags} onChange={set('tags')} hint="Separated by commas." error={submit.fieldError('tags')} />
      </div>
      <div className="form-end">
        <FormError message={submit.formError} />
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={submit.busy}>
            {submitLabel}
          </button>
          {onCancel ? (
            <button type="button" className="btn" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
        </div>
      </div>
    </form>
  );
}
