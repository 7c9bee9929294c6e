import { useQuery } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { text, secret } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { returnPath } from './RequireSignIn';
import { COOKIE_MODE, useSession } from './session';

/** A second factor's challenge handed back in the fragment by a provider's sign-in. */
function challengeFromHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('challenge');
}

export function SignInPage() {
  usePageTitle('Sign in');
  const [url] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const { begin } = useSession();
  const back = returnPath(url.get('return_to'));
  const providerError = url.get('error');
  const [challenge, setChallenge] = useState<string | null>(() => challengeFromHash(location.hash));
  const [error, setError] = useState<string | null>(
    providerError === null ? null : describe(new ApiError(401, { code: providerError })),
  );
  const [busy, setBusy] = useState(false);
  const providers = useQuery({
    queryKey: ['providers'],
    queryFn: () => data(api.GET('/api/v1/auth/providers')),
    staleTime: 300_000,
  });

  async function signIn(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const body = { email: text(form, 'email'), password: secret(form, 'password') };
      const answer = await data(api.POST('/api/v1/auth/login', { body, headers: COOKIE_MODE }));
      if ('challenge' in answer && typeof answer.challenge === 'string') {
        setChallenge(answer.challenge);
      } else {
        begin(answer);
        void navigate(back, { replace: true });
      }
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  async function secondFactor(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    if (challenge === null) return;
    const code = text(new FormData(event.currentTarget), 'code');
    setBusy(true);
    setError(null);
    try {
      const recovery = code.length > 6;
      const body = recovery ? { challenge, recovery_code: code } : { challenge, code };
      begin(await data(api.POST('/api/v1/auth/second-factor', { body, headers: COOKIE_MODE })));
      void navigate(back, { replace: true });
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  if (challenge !== null) {
    return (
      <section className="narrow">
        <h1>Enter your code</h1>
        <form onSubmit={(e) => void secondFactor(e)} noValidate>
          <FormError message={error} />
          <Field
            label="Code from your authenticator app (or a recovery code)"
            name="code"
            autoComplete="one-time-code"
            inputMode="numeric"
            required
          />
          <button type="submit" disabled={busy}>
            Continue
          </button>
        </form>
      </section>
    );
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={(e) => void signIn(e)} noValidate>
        <FormError message={error} />
        <Field label="Email" name="email" type="email" autoComplete="email" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      {providers.data && providers.data.providers.length > 0 && (
        <ul className="providers" aria-label="Sign in with">
          {providers.data.providers.map((p) => (
            <li key={p.name}>
              <a
                className="button button--secondary"
                href={`${p.start_url}?mode=cookie&return_to=${encodeURIComponent(back)}`}
              >
                Sign in with {p.display_name}
              </a>
            </li>
          ))}
        </ul>
      )}
      <p>
        New here? <Link to={`/register?return_to=${encodeURIComponent(back)}`}>Create an account</Link>
      </p>
    </section>
  );
}
