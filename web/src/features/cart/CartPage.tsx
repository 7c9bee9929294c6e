import { useState } from 'react';
import { Link } from 'react-router';

import { describe } from '../../api/problem';
import { Failed, Loading } from '../../components/Status';
import { formatMoney } from '../../lib/money';
import { usePageTitle } from '../../lib/title';
import { type Line, MAX_QUANTITY, parseQuantity, useCart, useCartChanges } from './cart';
import { productPath } from '../../lib/slug';

function LineRow({ line }: { line: Line }) {
  const { set, remove } = useCartChanges();
  const [typed, setTyped] = useState(String(line.quantity));
  const [error, setError] = useState<string | null>(null);
  const change = (raw: string) => {
    setTyped(raw);
    const quantity = parseQuantity(raw);
    if (quantity === null) {
      setError(`Enter a whole number from 0 to ${MAX_QUANTITY}.`);
      return;
    }
    setError(null);
    if (quantity !== line.quantity) {
      set.mutate({ sku: line.sku, quantity }, { onError: (e) => { setError(describe(e)); } });
    }
  };
  return (
    <tr>
      <th scope="row">
        <Link to={productPath({ id: line.product_id, name: line.name })}>{line.name}</Link>
        <span className="sku">{line.sku}</span>
      </th>
      <td>{formatMoney(line.unit_price)}</td>
      <td>
        <label className="visually-hidden" htmlFor={`qty-${line.sku}`}>
          Quantity of {line.name}
        </label>
        <input
          id={`qty-${line.sku}`}
          className="quantity"
          inputMode="numeric"
          value={typed}
          aria-invalid={error ? true : undefined}
          onChange={(e) => { change(e.target.value); }}
        />
        {error && (
          <span className="field__error" role="alert">
            {error}
          </span>
        )}
      </td>
      <td>{formatMoney(line.line_total)}</td>
      <td>
        <button
          type="button"
          className="link"
          disabled={remove.isPending}
          onClick={() => { remove.mutate(line.sku); }}
        >
          Remove<span className="visually-hidden"> {line.name}</span>
        </button>
      </td>
    </tr>
  );
}

export function CartPage() {
  usePageTitle('Your cart');
  const cart = useCart(true);
  if (cart.isPending) return <Loading what="your cart" />;
  if (cart.isError) return <Failed error={cart.error} />;
  const lines = cart.data.lines;
  return (
    <section>
      <h1>Your cart</h1>
      {lines.length === 0 ? (
        <p>
          Your cart is empty. <Link to="/search">Browse the shop</Link>
        </p>
      ) : (
        <>
          <table className="cart">
            <caption className="visually-hidden">Items in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">Total</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((line) => (
                <LineRow key={line.sku} line={line} />
              ))}
            </tbody>
          </table>
          <p className="subtotal" aria-live="polite">
            Subtotal: <strong>{formatMoney(cart.data.subtotal)}</strong>
          </p>
          <Link className="button" to="/checkout">
            Check out
          </Link>
        </>
      )}
    </section>
  );
}
