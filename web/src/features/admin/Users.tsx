import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { describe } from '../../api/problem';
import { FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { usePageTitle } from '../../lib/title';

const ROLES = ['customer', 'vendor', 'admin'];

export function AdminUsers() {
  usePageTitle('Users');
  const [url, setUrl] = useSearchParams();
  const cursor = url.get('cursor') ?? undefined;
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const users = useQuery({
    queryKey: ['admin', 'users', cursor],
    queryFn: () => data(api.GET('/api/v1/admin/users', { params: { query: { cursor, per_page: 50 } } })),
  });
  const setRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: string }) =>
      data(api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id } }, body: { role } })),
    onSuccess: () => {
      setError(null);
      void queries.invalidateQueries({ queryKey: ['admin', 'users'] });
    },
    onError: (e) => {
      setError(describe(e));
      void queries.invalidateQueries({ queryKey: ['admin', 'users'] });
    },
  });
  return (
    <section>
      <h1>Users</h1>
      <FormError message={error} />
      {users.isPending && <Loading what="users" />}
      {users.isError && <Failed error={users.error} />}
      {users.data && (
        <table className="orders">
          <caption className="visually-hidden">Accounts and their roles</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Since</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  {u.email}
                  {!u.email_verified && <span className="muted"> (unconfirmed)</span>}
                </th>
                <td>{`${u.first_name} ${u.last_name}`.trim()}</td>
                <td>{new Date(u.created_at).toLocaleDateString('en')}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                    Role of {u.email}
                  </label>
                  <select
                    id={`role-${u.id}`}
                    value={u.role}
                    disabled={setRole.isPending}
                    onChange={(e) => { setRole.mutate({ id: u.id, role: e.target.value }); }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {users.data?.next_cursor && (
        <button type="button" onClick={() => { setUrl({ cursor: users.data.next_cursor ?? '' }); }}>
          Next page
        </button>
      )}
    </section>
  );
}
