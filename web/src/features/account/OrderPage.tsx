import { type SyntheticEvent, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';

import { describe } from '../../api/problem';
import { Failed, Loading } from '../../components/Status';
import { formatMoney } from '../../lib/money';
import { text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { cancellable, type Order, statusText, useCancelOrder, useOrder } from './orders';
import { productPath } from '../../lib/slug';

export function OrderPage() {
  const { id = '' } = useParams();
  const [url] = useSearchParams();
  const order = useOrder(id);
  usePageTitle(`Order #${id.slice(-8)}`);
  if (order.isPending) return <Loading what="the order" />;
  if (order.isError) return <Failed error={order.error} />;
  return <OrderDetail order={order.data} placed={url.get('placed') === '1'} />;
}

function OrderDetail({ order, placed }: { order: Order; placed: boolean }) {
  const cancel = useCancelOrder(order.id);
  const [error, setError] = useState<string | null>(null);
  const a = order.shipping_address;
  function submit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = text(new FormData(event.currentTarget), 'reason') || 'changed my mind';
    setError(null);
    cancel.mutate(reason, { onError: (e) => { setError(describe(e)); } });
  }
  return (
    <section>
      {placed && (
        <p className="notice" role="status">
          Thank you — your order is placed. We have sent you a confirmation.
        </p>
      )}
      <h1>Order #{order.id.slice(-8)}</h1>
      <p>
        Status: <strong>{statusText(order.status)}</strong>
        {order.cancel_reason ? ` (${order.cancel_reason})` : ''}
      </p>
      {order.shipment && (
        <p>
          Shipped with {order.shipment.carrier}, tracking number {order.shipment.tracking_number}
        </p>
      )}
      <table className="cart">
        <caption className="visually-hidden">Items in this order</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((l) => (
            <tr key={l.sku}>
              <th scope="row">
                <Link to={productPath({ id: l.product_id, name: l.name })}>{l.name}</Link> <span className="sku">{l.sku}</span>
              </th>
              <td>{l.quantity}</td>
              <td>{formatMoney(l.line_total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="subtotal">
        Total: <strong>{formatMoney(order.total)}</strong>
      </p>
      <h2>Shipping to</h2>
      <address>
        {a.name}
        <br />
        {a.line1}
        {a.line2 ? `, ${a.line2}` : ''}
        <br />
        {a.postal_code} {a.city} {a.region} {a.country}
      </address>
      {cancellable(order) && (
        <form onSubmit={submit} className="cancel">
          <h2>Cancel this order</h2>
          {error && (
            <p className="status status--error" role="alert">
              {error}
            </p>
          )}
          <label className="field">
            Why (optional)
            <input name="reason" maxLength={500} />
          </label>
          <button type="submit" disabled={cancel.isPending}>
            Cancel order
          </button>
        </form>
      )}
      <p>
        <Link to="/account/orders">All your orders</Link>
      </p>
    </section>
  );
}
