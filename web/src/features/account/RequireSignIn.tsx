import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';

import { Loading } from '../../components/Status';
import { useSession } from './session';

/** Shows `children` to a signed-in user; anyone else signs in first and comes back. */
export function RequireSignIn({ children, roles }: { children: ReactNode; roles?: string[] }) {
  const { user } = useSession();
  const location = useLocation();
  if (user === undefined) return <Loading what="your account" />;
  if (user === null) {
    const back = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?return_to=${back}`} replace />;
  }
  if (roles !== undefined && !roles.includes(user.role)) {
    return (
      <p className="status status--error" role="alert">
        This page is for {roles.join(' and ')} accounts.
      </p>
    );
  }
  return children;
}

/** A path of this shop to return to after signing in (never another site's). */
export function returnPath(raw: string | null): string {
  if (raw === null || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return '/';
  return raw;
}
