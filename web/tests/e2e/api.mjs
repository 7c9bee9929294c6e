// The shop's REST API for the tests' own set-up (what a journey needs to exist already).
import { BASE, unique } from './browser.mjs';

async function call(method, path, token, body, headers = {}) {
  const answer = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const PASSWORD = 'a long enough passphrase';
export const ADMIN = { email: 'admin@shop.local', password: 'admin-demo-password' };

export async function signIn({ email, password }) {
  return (await call('POST', '/api/v1/auth/login', null, { email, password })).access_token;
}

/** A new account of `role` (an admin promotes it): its email and its id. */
export async function account(role) {
  const email = `${unique(role)}@example.com`;
  const made = await call('POST', '/api/v1/auth/register', null, { email, password: PASSWORD });
  if (role !== 'customer') {
    await call('PATCH', `/api/v1/admin/users/${made.user.id}`, await signIn(ADMIN), { role });
  }
  return { email, password: PASSWORD, id: made.user.id };
}

/** A paid order of a new customer: its id. */
export async function paidOrder() {
  const customer = await account('customer');
  const token = await signIn(customer);
  const products = await call('GET', '/api/v1/products?in_stock=true&per_page=20', null);
  const variant = products.items.flatMap((p) => p.variants).find((v) => v.available === undefined || v.available === null || v.available > 1);
  await call('POST', '/api/v1/cart/items', token, { sku: variant.sku, quantity: 1 });
  const address = { name: 'Grace Hopper', line1: '1 Navy Way', city: 'Arlington', postal_code: '22202', country: 'US' };
  const order = await call('POST', '/api/v1/orders', token, { shipping_address: address, payment_token: 'tok_visa' }, {
    'idempotency-key': unique('checkout'),
  });
  return order.id;
}
