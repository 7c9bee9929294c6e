import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';

import { Layout } from '../components/Layout';
import { NotFoundPage } from '../components/NotFoundPage';
import { CategoryPage } from '../features/catalog/CategoryPage';
import { HomePage } from '../features/catalog/HomePage';
import { ProductPage } from '../features/catalog/ProductPage';
import { SearchPage } from '../features/catalog/SearchPage';
import { ApiError } from '../api/problem';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (4xx) is an answer, not a hiccup: only retry what may pass next time.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
});

const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/search', element: <SearchPage /> },
      { path: '/c/:slug', element: <CategoryPage /> },
      { path: '/products/:id', element: <ProductPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
