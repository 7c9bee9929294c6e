import { Link } from 'react-router';

import { formatMoney } from '../../lib/money';
import { type Order, statusText } from './orders';

/** Orders as a table, newest first, each linking to `linkTo(id)`. */
export function OrderTable({ orders, caption, linkTo }: { orders: Order[]; caption: string; linkTo: (id: string) => string }) {
  return (
    <table className="orders">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Placed</th>
          <th scope="col">Status</th>
          <th scope="col">Total</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr key={o.id}>
            <th scope="row">
              <Link to={linkTo(o.id)}>#{o.id.slice(-8)}</Link>
            </th>
            <td>{new Date(o.created_at).toLocaleString('en')}</td>
            <td>{statusText(o.status)}</td>
            <td>{formatMoney(o.total)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
