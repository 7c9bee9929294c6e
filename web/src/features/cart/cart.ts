// The cart's server state and the sums shown beside it (in minor units: the subtotal the
// shop answers is the one charged; these only mirror it while a change is on its way).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, data, type Schemas } from '../../api/client';
import type { Money } from '../../lib/money';

export type Cart = Schemas['CartView'];
export type Line = Schemas['LineView'];

export const MAX_QUANTITY = 100;

export function useCart(enabled: boolean) {
  return useQuery({ queryKey: ['cart'], queryFn: () => data(api.GET('/api/v1/cart')), enabled });
}

/** Units in the cart (the header's count). */
export function unitCount(cart: Cart | undefined): number {
  return cart?.lines.reduce((sum, line) => sum + line.quantity, 0) ?? 0;
}

/** The subtotal of `lines` (one currency, as a cart's are). */
export function subtotal(lines: Pick<Line, 'unit_price' | 'quantity'>[]): Money | null {
  const first = lines[0];
  if (first === undefined) return null;
  return { amount: lines.reduce((sum, l) => sum + l.unit_price.amount * l.quantity, 0), currency: first.unit_price.currency };
}

/** A quantity typed by the shopper: a whole number from 0 to the cart's limit, or null. */
export function parseQuantity(raw: string): number | null {
  if (!/^\d{1,3}$/.test(raw.trim())) return null;
  const n = Number(raw.trim());
  return n <= MAX_QUANTITY ? n : null;
}

export function useCartChanges() {
  const queries = useQueryClient();
  const settle = (cart: Cart) => {
    queries.setQueryData(['cart'], cart);
  };
  const add = useMutation({
    mutationFn: (line: { sku: string; quantity: number }) => data(api.POST('/api/v1/cart/items', { body: line })),
    onSuccess: settle,
  });
  const set = useMutation({
    mutationFn: ({ sku, quantity }: { sku: string; quantity: number }) =>
      data(api.PATCH('/api/v1/cart/items/{sku}', { params: { path: { sku } }, body: { quantity } })),
    onSuccess: settle,
  });
  const remove = useMutation({
    mutationFn: (sku: string) => data(api.DELETE('/api/v1/cart/items/{sku}', { params: { path: { sku } } })),
    onSuccess: settle,
  });
  return { add, set, remove };
}
