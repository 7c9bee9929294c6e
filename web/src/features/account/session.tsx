// The signed-in session in the browser: the refresh token is an HttpOnly cookie the page
// cannot read (the gateway's cookie mode), the access token lives in memory and is renewed
// before it expires. On load, one refresh tells whether this browser has a session.
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';

import { api, data, setAccessToken, type Schemas } from '../../api/client';

export type User = Schemas['UserView'];
type Session = Schemas['SessionView'];

/** The header that asks the gateway for cookie mode (a cross-site form cannot send it). */
export const COOKIE_MODE = { 'X-Shop-Session': 'cookie' } as const;

interface SessionState {
  /** Undefined while the first refresh is under way. */
  user: User | null | undefined;
  /** Takes a session the gateway answered (sign-in, sign-up, second factor, new password). */
  begin: (session: Session) => void;
  signOut: () => Promise<void>;
  /** Reads the account again (after a change of profile). */
  reload: () => Promise<void>;
}

const Context = createContext<SessionState | null>(null);

/** A fresh access token for this browser's session, or null when it has none. */
async function renew(): Promise<Session | null> {
  const { data: session, response } = await api.POST('/api/v1/auth/refresh', { body: {}, headers: COOKIE_MODE });
  return response.ok && session !== undefined ? session : null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  // How long the access token in memory lasts (a new object for each token).
  const [lease, setLease] = useState<{ seconds: number } | null>(null);

  const begin = useCallback((session: Session) => {
    setAccessToken(session.access_token);
    setUser(session.user);
    setLease({ seconds: session.expires_in });
  }, []);

  const end = useCallback(() => {
    setAccessToken(null);
    setUser(null);
    setLease(null);
  }, []);

  // On load: whether this browser has a session.
  useEffect(() => {
    let live = true;
    void renew().then((session) => {
      if (!live) return;
      if (session === null) end();
      else begin(session);
    });
    return () => {
      live = false;
    };
  }, [begin, end]);

  // Renewed a minute before it expires (at least after 10 s).
  useEffect(() => {
    if (lease === null) return;
    const timer = setTimeout(() => {
      void renew().then((next) => {
        if (next === null) end();
        else begin(next);
      });
    }, Math.max(10, lease.seconds - 60) * 1000);
    return () => {
      clearTimeout(timer);
    };
  }, [lease, begin, end]);

  const signOut = useCallback(async () => {
    await api.POST('/api/v1/auth/logout', { body: {}, headers: COOKIE_MODE });
    end();
    queries.clear();
  }, [queries, end]);

  const reload = useCallback(async () => {
    setUser(await data(api.GET('/api/v1/me')));
  }, []);

  const value = useMemo(() => ({ user, begin, signOut, reload }), [user, begin, signOut, reload]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionState {
  const found = useContext(Context);
  if (found === null) throw new Error('useSession outside SessionProvider');
  return found;
}
