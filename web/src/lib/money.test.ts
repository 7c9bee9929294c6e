import { describe, expect, it } from 'vitest';

import { formatMoney, minorPerMajor, priceRange, times } from './money';

describe('money', () => {
  it('shows minor units in the currency’s own decimals', () => {
    expect(formatMoney({ amount: 6799, currency: 'USD' })).toBe('$67.99');
    expect(formatMoney({ amount: 1250, currency: 'EUR' })).toBe('€12.50');
    expect(formatMoney({ amount: 500, currency: 'JPY' })).toBe('¥500');
    expect(minorPerMajor('JPY')).toBe(1);
  });

  it('multiplies in minor units, never in floating decimals', () => {
    expect(times({ amount: 1999, currency: 'USD' }, 3)).toEqual({ amount: 5997, currency: 'USD' });
    expect(formatMoney(times({ amount: 10, currency: 'USD' }, 3))).toBe('$0.30');
  });

  it('finds the range of variant prices', () => {
    const usd = (amount: number) => ({ amount, currency: 'USD' });
    expect(priceRange([usd(500), usd(300), usd(900)])).toEqual({ low: usd(300), high: usd(900) });
    expect(priceRange([])).toBeNull();
  });
});
