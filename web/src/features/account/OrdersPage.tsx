import { Link } from 'react-router';

import { Failed, Loading } from '../../components/Status';
import { formatMoney } from '../../lib/money';
import { usePageTitle } from '../../lib/title';
import { statusText, useMyOrders } from './orders';

export function OrdersPage() {
  usePageTitle('Your orders');
  const orders = useMyOrders();
  return (
    <section>
      <h1>Your orders</h1>
      {orders.isPending && <Loading what="your orders" />}
      {orders.isError && <Failed error={orders.error} />}
      {orders.data?.items.length === 0 && (
        <p>
          No orders yet. <Link to="/search">Browse the shop</Link>
        </p>
      )}
      {orders.data && orders.data.items.length > 0 && (
        <table className="orders">
          <caption className="visually-hidden">Your orders, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Status</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.data.items.map((o) => (
              <tr key={o.id}>
                <th scope="row">
                  <Link to={`/account/orders/${o.id}`}>#{o.id.slice(-8)}</Link>
                </th>
                <td>{new Date(o.created_at).toLocaleDateString('en')}</td>
                <td>{statusText(o.status)}</td>
                <td>{formatMoney(o.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
