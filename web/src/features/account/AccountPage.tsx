import { type SyntheticEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { AddressFields } from '../../components/AddressFields';
import { Field, FormError } from '../../components/Field';
import { addressFrom, secret, text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { COOKIE_MODE, type User, useSession } from './session';

function Profile({ user }: { user: User }) {
  const { reload } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  async function save(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const address = addressFrom(form);
    const hasAddress = Object.values(address).some((v) => v !== '');
    setMessage(null);
    setError(null);
    setFields({});
    try {
      const body = {
        first_name: text(form, 'first_name'),
        last_name: text(form, 'last_name'),
        ...(hasAddress ? { address } : {}),
      };
      await data(api.PATCH('/api/v1/me', { body }));
      await reload();
      setMessage('Saved.');
    } catch (e) {
      if (e instanceof ApiError) setFields(e.fieldErrors());
      setError(describe(e));
    }
  }
  return (
    <form onSubmit={(e) => void save(e)} noValidate aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile and address</h2>
      <FormError message={error} />
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <Field label="First name" name="first_name" autoComplete="given-name" defaultValue={user.first_name} error={fields.first_name} />
      <Field label="Last name" name="last_name" autoComplete="family-name" defaultValue={user.last_name} error={fields.last_name} />
      <AddressFields
        saved={user.address}
        errors={Object.fromEntries(Object.entries(fields).map(([f, m]) => [f.replace(/^address\./, ''), m]))}
        required={false}
      />
      <button type="submit">Save</button>
    </form>
  );
}

function Password() {
  const { begin } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  async function change(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const body = { current_password: secret(form, 'current_password'), new_password: secret(form, 'new_password') };
    setMessage(null);
    setError(null);
    setFields({});
    try {
      begin(await data(api.POST('/api/v1/me/password', { body, headers: COOKIE_MODE })));
      formElement.reset();
      setMessage('Your password is changed. Other devices were signed out.');
    } catch (e) {
      if (e instanceof ApiError) setFields(e.fieldErrors());
      setError(describe(e));
    }
  }
  return (
    <form onSubmit={(e) => void change(e)} noValidate aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <FormError message={error} />
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <Field label="Current password" name="current_password" type="password" autoComplete="current-password" error={fields.current_password} />
      <Field label="New password" name="new_password" type="password" autoComplete="new-password" error={fields.new_password} />
      <button type="submit">Change password</button>
    </form>
  );
}

export function AccountPage() {
  usePageTitle('Your account');
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  if (!user) return null;
  return (
    <section className="account">
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{user.email}</strong>
        {user.email_verified ? '' : ' (not confirmed yet: see the link we mailed you)'}
      </p>
      <ul className="nav">
        <li>
          <Link to="/account/orders">Your orders</Link>
        </li>
        <li>
          <Link to="/account/security">Sign-in and security</Link>
        </li>
        {user.role !== 'customer' && (
          <li>
            <Link to="/admin">Shop admin</Link>
          </li>
        )}
      </ul>
      <Profile user={user} />
      <Password />
      <button
        type="button"
        className="button--secondary"
        onClick={() => {
          void signOut().then(() => navigate('/'));
        }}
      >
        Sign out
      </button>
    </section>
  );
}
