import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useId, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { text } from '../../lib/form';
import { formatMoney } from '../../lib/money';
import { usePageTitle } from '../../lib/title';
import { OrderTable } from '../account/OrderTable';
import { statusText } from '../account/orders';

const STATUSES = ['', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded', 'reserved', 'pending'];

export function AdminOrders() {
  usePageTitle('Orders');
  const [url, setUrl] = useSearchParams();
  const status = url.get('status') ?? '';
  const cursor = url.get('cursor') ?? undefined;
  const orders = useQuery({
    queryKey: ['admin', 'orders', status, cursor],
    queryFn: () =>
      data(api.GET('/api/v1/admin/orders', { params: { query: { status: status || undefined, cursor, per_page: 25 } } })),
  });
  return (
    <section>
      <h1>Orders</h1>
      <label className="field field--inline">
        Status
        <select
          value={status}
          onChange={(e) => {
            setUrl(e.target.value ? { status: e.target.value } : {});
          }}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === '' ? 'Any' : statusText(s)}
            </option>
          ))}
        </select>
      </label>
      {orders.isPending && <Loading what="orders" />}
      {orders.isError && <Failed error={orders.error} />}
      {orders.data && (
        <OrderTable orders={orders.data.items} caption="Orders, newest first" linkTo={(id) => `/admin/orders/${id}`} />
      )}
      {orders.data?.next_cursor && (
        <button
          type="button"
          onClick={() => {
            setUrl({ ...(status ? { status } : {}), cursor: orders.data.next_cursor ?? '' });
          }}
        >
          Next page
        </button>
      )}
    </section>
  );
}

/** A step that takes a reason (refund, cancel). */
function ReasonForm(props: { title: string; label: string; action: string; busy: boolean; onReason: (r: string) => void }) {
  const id = useId();
  return (
    <form
      aria-labelledby={id}
      onSubmit={(event) => {
        event.preventDefault();
        props.onReason(text(new FormData(event.currentTarget), 'reason'));
      }}
    >
      <h2 id={id}>{props.title}</h2>
      <Field label={props.label} name="reason" maxLength={500} />
      <button type="submit" disabled={props.busy}>
        {props.action}
      </button>
    </form>
  );
}

export function AdminOrder() {
  const { id = '' } = useParams();
  usePageTitle(`Order #${id.slice(-8)}`);
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const order = useQuery({
    queryKey: ['orders', id],
    queryFn: () => data(api.GET('/api/v1/orders/{id}', { params: { path: { id } } })),
  });
  const done = {
    onSuccess: (changed: NonNullable<typeof order.data>) => {
      setError(null);
      queries.setQueryData(['orders', id], changed);
      void queries.invalidateQueries({ queryKey: ['admin', 'orders'] });
    },
    onError: (e: unknown) => { setError(describe(e)); },
  };
  const ship = useMutation({
    mutationFn: (body: { carrier: string; tracking_number: string }) =>
      data(api.POST('/api/v1/admin/orders/{id}/ship', { params: { path: { id } }, body })),
    ...done,
  });
  const refund = useMutation({
    mutationFn: (reason: string) => data(api.POST('/api/v1/admin/orders/{id}/refund', { params: { path: { id } }, body: { reason } })),
    ...done,
  });
  const cancel = useMutation({
    mutationFn: (reason: string) => data(api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id } }, body: { reason } })),
    ...done,
  });
  if (order.isPending) return <Loading what="the order" />;
  if (order.isError) return <Failed error={order.error} />;
  const o = order.data;
  const a = o.shipping_address;
  const onShip = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    ship.mutate({ carrier: text(form, 'carrier'), tracking_number: text(form, 'tracking_number') });
  };
  return (
    <section>
      <h1>Order #{o.id.slice(-8)}</h1>
      <FormError message={error} />
      <p>
        Status: <strong>{statusText(o.status)}</strong> · Payment: {o.payment.status}
        {o.cancel_reason ? ` · ${o.cancel_reason}` : ''}
      </p>
      {o.shipment && (
        <p>
          Shipped with {o.shipment.carrier}, tracking {o.shipment.tracking_number}
        </p>
      )}
      <ul>
        {o.lines.map((l) => (
          <li key={l.sku}>
            {l.quantity} × {l.name} ({l.sku}) — {formatMoney(l.line_total)}
          </li>
        ))}
      </ul>
      <p>
        Total <strong>{formatMoney(o.total)}</strong> · to {a.name}, {a.line1}, {a.postal_code} {a.city} {a.country}
      </p>
      <div className="panels">
        {o.status === 'paid' && (
          <form onSubmit={onShip} aria-labelledby="ship-heading">
            <h2 id="ship-heading">Ship</h2>
            <Field label="Carrier" name="carrier" maxLength={64} required />
            <Field label="Tracking number" name="tracking_number" maxLength={64} required />
            <button type="submit" disabled={ship.isPending}>
              Mark shipped
            </button>
          </form>
        )}
        {['paid', 'shipped', 'delivered'].includes(o.status) && (
          <ReasonForm title="Refund" label="Reason for the refund" action="Refund the order" busy={refund.isPending}
            onReason={(reason) => { refund.mutate(reason); }} />
        )}
        {['pending', 'reserved', 'paid'].includes(o.status) && (
          <ReasonForm title="Cancel" label="Reason for cancelling" action="Cancel the order" busy={cancel.isPending}
            onReason={(reason) => { cancel.mutate(reason); }} />
        )}
      </div>
      <p>
        <Link to="/admin/orders">All orders</Link>
      </p>
    </section>
  );
}
