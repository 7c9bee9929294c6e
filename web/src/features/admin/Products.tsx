import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';

import { api, data } from '../../api/client';
import { Failed, Loading } from '../../components/Status';
import { formatMoney, priceRange } from '../../lib/money';
import { usePageTitle } from '../../lib/title';
import { useSession } from '../account/session';
import { Transfer } from './Transfer';

/** The products a vendor sells (drafts too), or for an admin every vendor's. */
export function AdminProducts() {
  usePageTitle('Products');
  const { user } = useSession();
  const [url, setUrl] = useSearchParams();
  const q = url.get('q') ?? '';
  const mine = user?.role === 'vendor' ? user.id : undefined;
  const products = useQuery({
    queryKey: ['admin', 'products', q, mine],
    queryFn: () =>
      data(api.GET('/api/v1/products', { params: { query: { q: q || undefined, vendor: mine, per_page: 50, sort: 'newest' } } })),
  });
  return (
    <section>
      <h1>Products</h1>
      <p>
        <Link className="button" to="/admin/products/new">
          New product
        </Link>
      </p>
      <Transfer />
      <form
        role="search"
        className="search search--inline"
        onSubmit={(e) => {
          e.preventDefault();
          const typed = new FormData(e.currentTarget).get('q');
          setUrl(typeof typed === 'string' && typed.trim() ? { q: typed.trim() } : {});
        }}
      >
        <label htmlFor="admin-product-search">Find a product</label>
        <input id="admin-product-search" name="q" type="search" defaultValue={q} />
        <button type="submit">Find</button>
      </form>
      {products.isPending && <Loading what="products" />}
      {products.isError && <Failed error={products.error} />}
      {products.data && (
        <table className="orders">
          <caption className="visually-hidden">Products</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Variants</th>
              <th scope="col">Price</th>
            </tr>
          </thead>
          <tbody>
            {products.data.items.map((p) => {
              const range = priceRange(p.variants.map((v) => v.price));
              return (
                <tr key={p.id}>
                  <th scope="row">
                    <Link to={`/admin/products/${p.id}`}>{p.name}</Link>
                  </th>
                  <td>{p.status}</td>
                  <td>{p.variants.length}</td>
                  <td>{range ? formatMoney(range.low) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
