// The pages the shop's mail links to: confirming an address, and setting a new password.
import { type SyntheticEvent, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { text, secret } from '../../lib/form';
import { usePageTitle } from '../../lib/title';

export function VerifyEmailPage() {
  usePageTitle('Confirm your email');
  const [url] = useSearchParams();
  const token = url.get('token') ?? '';
  // null while confirming; then true, or what went wrong.
  const [outcome, setOutcome] = useState<true | string | null>(null);
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    data(api.POST('/api/v1/auth/verify-email', { body: { token } })).then(
      () => { setOutcome(true); },
      (e: unknown) => { setOutcome(e instanceof ApiError && e.status === 400 ? 'This link was used already, or it expired. Sign in to ask for a new one.' : describe(e)); },
    );
  }, [token]);
  return (
    <section className="narrow">
      <h1>Confirm your email</h1>
      {outcome === null && <p role="status">Confirming…</p>}
      {outcome === true && (
        <p role="status">
          Your email address is confirmed. <Link to="/">Continue shopping</Link>
        </p>
      )}
      {typeof outcome === 'string' && <FormError message={outcome} />}
    </section>
  );
}

export function ForgotPasswordPage() {
  usePageTitle('Forgot your password');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function ask(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = text(new FormData(event.currentTarget), 'email');
    try {
      await api.POST('/api/v1/auth/password-reset', { body: { email } }).then(({ response }) => {
        if (!response.ok) throw new ApiError(response.status, null);
      });
      setSent(true);
    } catch (e) {
      setError(describe(e));
    }
  }
  return (
    <section className="narrow">
      <h1>Forgot your password</h1>
      {sent ? (
        <p role="status">If an account has that address, we have sent it a link to set a new password.</p>
      ) : (
        <form onSubmit={(e) => void ask(e)} noValidate>
          <FormError message={error} />
          <Field label="Email" name="email" type="email" autoComplete="email" required />
          <button type="submit">Send me a link</button>
        </form>
      )}
    </section>
  );
}

export function ResetPasswordPage() {
  usePageTitle('Set a new password');
  const [url] = useSearchParams();
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  async function reset(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const body = { token: url.get('token') ?? '', new_password: secret(new FormData(event.currentTarget), 'new_password') };
    setError(null);
    try {
      const { response, error: problem } = await api.POST('/api/v1/auth/password-reset/confirm', { body });
      if (!response.ok) throw new ApiError(response.status, problem ?? null);
      setDone(true);
    } catch (e) {
      if (e instanceof ApiError) setFields(e.fieldErrors());
      setError(describe(e));
    }
  }
  return (
    <section className="narrow">
      <h1>Set a new password</h1>
      {done ? (
        <p role="status">
          Your password is set. <Link to="/sign-in">Sign in</Link>
        </p>
      ) : (
        <form onSubmit={(e) => void reset(e)} noValidate>
          <FormError message={error ?? (fields.token ? 'This link was used already, or it expired.' : null)} />
          <Field label="New password" name="new_password" type="password" autoComplete="new-password" error={fields.new_password} />
          <button type="submit">Set password</button>
        </form>
      )}
    </section>
  );
}
