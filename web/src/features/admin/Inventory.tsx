import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';

function whole(raw: string): number | null {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : null;
}

function Stock({ sku }: { sku: string }) {
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const stock = useQuery({
    queryKey: ['stock', sku],
    queryFn: () => data(api.GET('/api/v1/inventory/{sku}', { params: { path: { sku } } })),
    retry: false,
  });
  const ledger = useQuery({
    queryKey: ['ledger', sku],
    queryFn: () => data(api.GET('/api/v1/inventory/{sku}/ledger', { params: { path: { sku }, query: { per_page: 10 } } })),
    enabled: stock.isSuccess,
  });
  const set = useMutation({
    mutationFn: (body: { on_hand?: number; low_stock_threshold?: number }) =>
      data(api.PUT('/api/v1/inventory/{sku}', { params: { path: { sku } }, body })),
    onSuccess: (changed) => {
      queries.setQueryData(['stock', sku], changed);
      void queries.invalidateQueries({ queryKey: ['ledger', sku] });
      void queries.invalidateQueries({ queryKey: ['inventory', 'alerts'] });
      setSaved(true);
    },
    onError: (e) => { setError(describe(e)); },
  });
  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const onHand = whole(text(form, 'on_hand'));
    const threshold = whole(text(form, 'threshold'));
    setSaved(false);
    if (onHand === null || threshold === null) {
      setError('Write whole numbers of units.');
      return;
    }
    setError(null);
    set.mutate({ on_hand: onHand, low_stock_threshold: threshold });
  };
  if (stock.isPending) return <Loading what="the stock" />;
  if (stock.error instanceof ApiError && stock.error.status === 404) {
    return <p>{sku} is not tracked yet: set its stock to start.</p>;
  }
  if (stock.isError) return <Failed error={stock.error} />;
  const s = stock.data;
  return (
    <section aria-labelledby="stock-heading">
      <h2 id="stock-heading">{sku}</h2>
      <dl className="tiles">
        <div className="tile"><dt>On hand</dt><dd>{s.on_hand}</dd></div>
        <div className="tile"><dt>Reserved</dt><dd>{s.reserved}</dd></div>
        <div className="tile"><dt>Available</dt><dd>{s.available}</dd></div>
        <div className="tile"><dt>Alert at</dt><dd>{s.low_stock_threshold}</dd></div>
      </dl>
      <form onSubmit={submit} noValidate className="editor">
        <FormError message={error} />
        {saved && <p className="notice" role="status">Stock saved.</p>}
        <Field label="Units on hand" name="on_hand" inputMode="numeric" defaultValue={String(s.on_hand)} key={`h${s.on_hand}`} />
        <Field label="Low-stock alert at" name="threshold" inputMode="numeric" defaultValue={String(s.low_stock_threshold)} key={`t${s.low_stock_threshold}`} />
        <button type="submit" disabled={set.isPending}>Save stock</button>
      </form>
      <h3>Ledger</h3>
      {ledger.isError && <Failed error={ledger.error} />}
      <table className="orders">
        <caption className="visually-hidden">The latest stock movements of {sku}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">On hand</th>
            <th scope="col">Reserved</th>
          </tr>
        </thead>
        <tbody>
          {ledger.data?.items.map((e, i) => (
            <tr key={`${e.at ?? ''}-${String(i)}`}>
              <td>{e.at ? new Date(e.at).toLocaleString('en') : ''}</td>
              <td>
                {e.reason}
                {e.order_id ? ` (order #${e.order_id.slice(-8)})` : ''}
              </td>
              <td>{e.on_hand_delta}</td>
              <td>{e.reserved_delta}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function AdminInventory() {
  usePageTitle('Inventory');
  const [url, setUrl] = useSearchParams();
  const sku = url.get('sku') ?? '';
  const alerts = useQuery({
    queryKey: ['inventory', 'alerts'],
    queryFn: () => data(api.GET('/api/v1/admin/inventory/alerts', { params: { query: { per_page: 50 } } })),
  });
  return (
    <section>
      <h1>Inventory</h1>
      <form
        className="search search--inline"
        onSubmit={(e) => {
          e.preventDefault();
          const typed = text(new FormData(e.currentTarget), 'sku');
          setUrl(typed ? { sku: typed } : {});
        }}
      >
        <label htmlFor="inventory-sku">SKU</label>
        <input id="inventory-sku" name="sku" defaultValue={sku} key={sku} />
        <button type="submit">Show stock</button>
      </form>
      {sku !== '' && <Stock key={sku} sku={sku} />}
      <section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Low-stock alerts</h2>
        {alerts.isPending && <Loading what="alerts" />}
        {alerts.isError && <Failed error={alerts.error} />}
        {alerts.data?.items.length === 0 && <p>Nothing is running low.</p>}
        <ul className="low-stock">
          {alerts.data?.items.map((s) => (
            <li key={s.sku}>
              <Link to={`/admin/inventory?sku=${encodeURIComponent(s.sku)}`}>{s.sku}</Link>: {s.available} available (alert at{' '}
              {s.low_stock_threshold})
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}
