import { type InputHTMLAttributes, useId } from 'react';

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  /** The shop's (or the form's) complaint about this field. */
  error?: string | undefined;
  hint?: string;
}

/** A labelled input with its hint and error announced to assistive technology. */
export function Field({ label, error, hint, ...input }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} {...input} />
      {hint && (
        <span id={`${id}-hint`} className="field__hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field__error">
          {error}
        </span>
      )}
    </div>
  );
}

/** A form-wide message (what went wrong), announced when it appears. */
export function FormError({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p className="status status--error" role="alert">
      {message}
    </p>
  );
}
