// How the account signs in: the providers linked to it (link another, unlink one — never
// the last way in) and the second factor (enrol with an authenticator app, recovery codes
// shown once; turn it off).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { secret, text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { useSession } from './session';

function Identities() {
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const identities = useQuery({ queryKey: ['identities'], queryFn: () => data(api.GET('/api/v1/me/identities')) });
  const providers = useQuery({ queryKey: ['providers'], queryFn: () => data(api.GET('/api/v1/auth/providers')) });
  const unlink = useMutation({
    mutationFn: (id: string) => data(api.DELETE('/api/v1/me/identities/{id}', { params: { path: { id } } })),
    onSuccess: (now) => { queries.setQueryData(['identities'], now); },
    onError: (e) => { setError(describe(e)); },
  });
  async function link(provider: string) {
    setError(null);
    try {
      const started = await data(
        api.POST('/api/v1/me/identities/{provider}', {
          params: { path: { provider }, query: { mode: 'cookie', return_to: '/account/security' } },
        }),
      );
      window.location.assign(started.authorization_url);
    } catch (e) {
      setError(describe(e));
    }
  }
  if (identities.isPending) return <Loading what="your sign-in methods" />;
  if (identities.isError) return <Failed error={identities.error} />;
  return (
    <section aria-labelledby="identities-heading">
      <h2 id="identities-heading">Sign-in methods</h2>
      <FormError message={error} />
      <ul>
        <li>Password: {identities.data.password_set ? 'set' : 'none (set one with “Forgot your password?”)'}</li>
        {identities.data.identities.map((i) => (
          <li key={i.id}>
            {i.display_name}
            {i.email ? ` (${i.email})` : ''}, linked {new Date(i.linked_at).toLocaleDateString('en')}{' '}
            <button type="button" className="link" onClick={() => { unlink.mutate(i.id); }}>
              Unlink<span className="visually-hidden"> {i.display_name}</span>
            </button>
          </li>
        ))}
      </ul>
      {providers.data?.providers.map((p) => (
        <button key={p.name} type="button" className="button--secondary" onClick={() => void link(p.name)}>
          Link {p.display_name}
        </button>
      ))}
    </section>
  );
}

function SecondFactor() {
  const { user, reload } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const fail = (e: unknown) => { setError(describe(e)); };
  async function begin(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const body = { current_password: secret(new FormData(event.currentTarget), 'current_password') };
    await data(api.POST('/api/v1/me/mfa/totp', { body })).then(setEnrolment, fail);
  }
  async function confirm(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const body = { code: text(new FormData(event.currentTarget), 'code') };
    await data(api.POST('/api/v1/me/mfa/totp/confirm', { body })).then((r) => {
      setCodes(r.recovery_codes);
      setEnrolment(null);
      void reload();
    }, fail);
  }
  async function disable(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const form = new FormData(event.currentTarget);
    const body = { current_password: secret(form, 'current_password'), code: text(form, 'code') };
    const { response, error: problem } = await api.POST('/api/v1/me/mfa/totp/disable', { body });
    if (response.ok) void reload();
    else fail(new ApiError(response.status, problem ?? null));
  }
  return (
    <section aria-labelledby="mfa-heading">
      <h2 id="mfa-heading">Two-step sign-in</h2>
      <FormError message={error} />
      {codes && (
        <div className="notice" role="status">
          <p>Two-step sign-in is on. Keep these recovery codes somewhere safe: each works once, and they are shown only now.</p>
          <ul className="codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {user?.mfa_enabled ? (
        <form onSubmit={(e) => void disable(e)} noValidate>
          <p>On: signing in takes a code from your authenticator app.</p>
          <Field label="Current password" name="current_password" type="password" autoComplete="current-password" />
          <Field label="A code from your app" name="code" autoComplete="one-time-code" inputMode="numeric" />
          <button type="submit" className="button--secondary">Turn two-step sign-in off</button>
        </form>
      ) : enrolment ? (
        <form onSubmit={(e) => void confirm(e)} noValidate>
          <p>
            Add this key to your authenticator app (or open <a href={enrolment.otpauth_uri}>the setup link</a> on this
            device): <code className="secret">{enrolment.secret}</code>
          </p>
          <Field label="The code your app shows" name="code" autoComplete="one-time-code" inputMode="numeric" />
          <button type="submit">Turn on</button>
        </form>
      ) : (
        <form onSubmit={(e) => void begin(e)} noValidate>
          <p>Off. With it on, signing in takes your password and a code from an authenticator app.</p>
          <Field label="Current password" name="current_password" type="password" autoComplete="current-password" />
          <button type="submit">Set up two-step sign-in</button>
        </form>
      )}
    </section>
  );
}

export function SecurityPage() {
  usePageTitle('Sign-in and security');
  return (
    <section className="account">
      <h1>Sign-in and security</h1>
      <Identities />
      <SecondFactor />
    </section>
  );
}
