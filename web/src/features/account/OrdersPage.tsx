import { Link } from 'react-router';

import { Failed, Loading } from '../../components/Status';
import { usePageTitle } from '../../lib/title';
import { OrderTable } from './OrderTable';
import { useMyOrders } from './orders';

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
        <OrderTable orders={orders.data.items} caption="Your orders, newest first" linkTo={(id) => `/account/orders/${id}`} />
      )}
    </section>
  );
}
