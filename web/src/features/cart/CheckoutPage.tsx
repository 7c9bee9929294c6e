import { useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { AddressFields } from '../../components/AddressFields';
import { FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { formatMoney } from '../../lib/money';
import { track } from '../../lib/behaviour';
import { addressFrom, text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { useSession } from '../account/session';
import { useCart } from './cart';

/** The sandbox provider's test cards (the shop never sees a card number). */
const CARDS: [string, string][] = [
  ['tok_visa', 'Test Visa — payment succeeds'],
  ['tok_chargeDeclined', 'Test card — declined'],
  ['tok_insufficientFunds', 'Test card — insufficient funds'],
];

export function CheckoutPage() {
  usePageTitle('Checkout');
  const { user } = useSession();
  const cart = useCart(true);
  const queries = useQueryClient();
  const navigate = useNavigate();
  // One key per attempt: a double click or a retried request is the same checkout; an
  // attempt the shop refused is over, and the next one gets a new key.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    track({ type: 'checkout_started' });
  }, []);

  async function place(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const form = new FormData(event.currentTarget);
    const address = addressFrom(form);
    setBusy(true);
    setError(null);
    setFields({});
    try {
      const order = await data(
        api.POST('/api/v1/orders', {
          body: { shipping_address: address, payment_token: text(form, 'payment_token') },
          params: { header: { 'Idempotency-Key': key } },
        }),
      );
      void queries.invalidateQueries({ queryKey: ['cart'] });
      void queries.invalidateQueries({ queryKey: ['orders'] });
      void navigate(`/account/orders/${order.id}?placed=1`);
    } catch (e) {
      if (e instanceof ApiError) {
        setKey(crypto.randomUUID());
        const refused = e.fieldErrors();
        setFields(Object.fromEntries(Object.entries(refused).map(([f, m]) => [f.replace(/^shipping_address\./, ''), m])));
        void queries.invalidateQueries({ queryKey: ['cart'] });
      }
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  if (cart.isPending) return <Loading what="your cart" />;
  if (cart.isError) return <Failed error={cart.error} />;
  if (cart.data.lines.length === 0) {
    return (
      <section>
        <h1>Checkout</h1>
        <p>
          Your cart is empty. <Link to="/search">Browse the shop</Link>
        </p>
      </section>
    );
  }
  const saved = user?.address ?? undefined;
  return (
    <section className="checkout">
      <h1>Checkout</h1>
      <form onSubmit={(e) => void place(e)} noValidate>
        <FormError message={error} />
        <fieldset>
          <legend>Shipping address</legend>
          <AddressFields saved={saved} errors={fields} />
        </fieldset>
        <fieldset>
          <legend>Payment (sandbox)</legend>
          {CARDS.map(([token, label], i) => (
            <label key={token} className="check">
              <input type="radio" name="payment_token" value={token} defaultChecked={i === 0} />
              {label}
            </label>
          ))}
        </fieldset>
        <p className="subtotal">
          Total: <strong>{formatMoney(cart.data.subtotal)}</strong>
        </p>
        <button type="submit" disabled={busy} aria-disabled={busy}>
          {busy ? 'Placing your order…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}
