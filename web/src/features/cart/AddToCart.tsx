import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';

import { describe } from '../../api/problem';
import { track } from '../../lib/behaviour';
import { useSession } from '../account/session';
import { MAX_QUANTITY, useCartChanges } from './cart';

/** Puts `quantity` of the chosen variant in the cart (signing in first when needed). */
export function AddToCart({ productId, sku, disabled }: { productId: string; sku: string | undefined; disabled: boolean }) {
  const { user } = useSession();
  const { add } = useCartChanges();
  const navigate = useNavigate();
  const location = useLocation();
  const [quantity, setQuantity] = useState(1);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const put = () => {
    if (sku === undefined) return;
    if (user === null) {
      void navigate(`/sign-in?return_to=${encodeURIComponent(location.pathname)}`);
      return;
    }
    setMessage(null);
    add.mutate(
      { sku, quantity },
      {
        onSuccess: () => {
          track({ type: 'added_to_cart', product_id: productId });
          setMessage({ ok: true, text: 'Added to your cart.' });
        },
        onError: (e) => { setMessage({ ok: false, text: describe(e) }); },
      },
    );
  };
  return (
    <div className="add">
      <label className="field field--inline">
        Quantity
        <select value={quantity} onChange={(e) => { setQuantity(Number(e.target.value)); }}>
          {Array.from({ length: 10 }, (_, i) => i + 1)
            .filter((n) => n <= MAX_QUANTITY)
            .map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
        </select>
      </label>
      <button type="button" onClick={put} disabled={disabled || sku === undefined || add.isPending}>
        Add to cart
      </button>
      {message && (
        <p className={message.ok ? 'notice' : 'status status--error'} role={message.ok ? 'status' : 'alert'}>
          {message.text} {message.ok && <Link to="/cart">View cart</Link>}
        </p>
      )}
    </div>
  );
}
