import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, data, type Schemas } from '../../api/client';

export type Order = Schemas['OrderView'];

export function useMyOrders() {
  return useQuery({ queryKey: ['orders'], queryFn: () => data(api.GET('/api/v1/orders', { params: { query: { per_page: 50 } } })) });
}

export function useOrder(id: string) {
  return useQuery({
    queryKey: ['orders', id],
    queryFn: () => data(api.GET('/api/v1/orders/{id}', { params: { path: { id } } })),
  });
}

export function useCancelOrder(id: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (reason: string) =>
      data(api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id } }, body: { reason } })),
    onSuccess: (order) => {
      queries.setQueryData(['orders', id], order);
      void queries.invalidateQueries({ queryKey: ['orders'], exact: true });
    },
  });
}

const STATUS: Record<string, string> = {
  pending: 'Being placed',
  reserved: 'Awaiting payment',
  paid: 'Paid — being prepared',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  refunded: 'Refunded',
};

/** An order's status as a customer reads it. */
export function statusText(status: string): string {
  return STATUS[status] ?? status;
}

/** Whether the customer may still cancel (before it ships). */
export function cancellable(order: Pick<Order, 'status'>): boolean {
  return ['pending', 'reserved', 'paid'].includes(order.status);
}
