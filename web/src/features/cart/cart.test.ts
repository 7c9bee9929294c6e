import { describe, expect, it } from 'vitest';

import { parseQuantity, subtotal, unitCount } from './cart';

const line = (amount: number, quantity: number) => ({
  sku: 'S',
  product_id: 'p',
  name: 'n',
  quantity,
  unit_price: { amount, currency: 'EUR' },
  line_total: { amount: amount * quantity, currency: 'EUR' },
});

describe('cart maths', () => {
  it('adds up lines in minor units', () => {
    expect(subtotal([line(1999, 3), line(1, 1)])).toEqual({ amount: 5998, currency: 'EUR' });
    expect(subtotal([])).toBeNull();
  });

  it('counts units, not lines', () => {
    expect(unitCount({ lines: [line(100, 2), line(5, 3)], subtotal: { amount: 215, currency: 'EUR' } })).toBe(5);
    expect(unitCount(undefined)).toBe(0);
  });

  it('takes only whole quantities the cart allows', () => {
    expect(parseQuantity(' 7 ')).toBe(7);
    expect(parseQuantity('0')).toBe(0);
    for (const bad of ['', '-1', '1.5', '101', 'ten', '1e2']) expect(parseQuantity(bad)).toBeNull();
  });
});
