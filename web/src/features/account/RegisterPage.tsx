import { type SyntheticEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { text, secret } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { returnPath } from './RequireSignIn';
import { COOKIE_MODE, useSession } from './session';

export function RegisterPage() {
  usePageTitle('Create an account');
  const [url] = useSearchParams();
  const navigate = useNavigate();
  const { begin } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function register(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = {
      email: text(form, 'email'),
      password: secret(form, 'password'),
      first_name: text(form, 'first_name'),
      last_name: text(form, 'last_name'),
    };
    setBusy(true);
    setError(null);
    setFields({});
    try {
      begin(await data(api.POST('/api/v1/auth/register', { body, headers: COOKIE_MODE })));
      void navigate(returnPath(url.get('return_to')), { replace: true });
    } catch (e) {
      if (e instanceof ApiError) setFields(e.fieldErrors());
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <form onSubmit={(e) => void register(e)} noValidate>
        <FormError message={error} />
        <Field label="First name" name="first_name" autoComplete="given-name" error={fields.first_name} />
        <Field label="Last name" name="last_name" autoComplete="family-name" error={fields.last_name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint="8 to 128 characters; not a commonly used password."
          required
          error={fields.password}
        />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </section>
  );
}
