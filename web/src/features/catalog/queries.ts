// The catalog's server state: one query per thing shown, cached by the query client.
import { useQuery } from '@tanstack/react-query';

import { api, data, type Schemas } from '../../api/client';

export type Product = Schemas['ProductView'];
export type Category = Schemas['CategoryView'];
export type SearchPage = Schemas['SearchPage'];

export interface SearchParams {
  q?: string;
  category?: string;
  tag?: string;
  min_price?: number;
  max_price?: number;
  in_stock?: boolean;
  attr?: string;
  sort?: string;
  cursor?: string;
  per_page?: number;
}

export function useCategories() {
  return useQuery({
    queryKey: ['categories'],
    queryFn: () => data(api.GET('/api/v1/categories')),
    staleTime: 60_000,
  });
}

export function useProducts(params: SearchParams, facets = false) {
  return useQuery({
    queryKey: ['products', params, facets],
    queryFn: () => data(api.GET('/api/v1/products', { params: { query: { ...params, facets } } })),
  });
}

export function useProduct(id: string) {
  return useQuery({
    queryKey: ['product', id],
    queryFn: () => data(api.GET('/api/v1/products/{id}', { params: { path: { id } } })),
  });
}

export function useReviews(productId: string) {
  return useQuery({
    queryKey: ['reviews', productId],
    queryFn: () => data(api.GET('/api/v1/products/{id}/reviews', { params: { path: { id: productId } } })),
  });
}

/** The category with `slug` in the tree, and the path of categories down to it. */
export function findBySlug(tree: Category[], slug: string): Category[] | null {
  for (const c of tree) {
    if (c.slug === slug) return [c];
    const below = findBySlug(c.children, slug);
    if (below !== null) return [c, ...below];
  }
  return null;
}
