import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router';

import { ApiError } from '../api/problem';
import { Layout } from '../components/Layout';
import { NotFoundPage } from '../components/NotFoundPage';
import { Loading } from '../components/Status';
import { AccountPage } from '../features/account/AccountPage';
import { ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from '../features/account/LinkPages';
import { OrderPage } from '../features/account/OrderPage';
import { OrdersPage } from '../features/account/OrdersPage';
import { RegisterPage } from '../features/account/RegisterPage';
import { RequireSignIn } from '../features/account/RequireSignIn';
import { SecurityPage } from '../features/account/SecurityPage';
import { SessionProvider } from '../features/account/session';
import { SignInPage } from '../features/account/SignInPage';
import { CartPage } from '../features/cart/CartPage';
import { CheckoutPage } from '../features/cart/CheckoutPage';
import { CategoryPage } from '../features/catalog/CategoryPage';
import { HomePage } from '../features/catalog/HomePage';
import { ProductPage } from '../features/catalog/ProductPage';
import { SearchPage } from '../features/catalog/SearchPage';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (4xx) is an answer, not a hiccup: only retry what may pass next time.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
});

const signedIn = (page: ReactNode) => <RequireSignIn>{page}</RequireSignIn>;

// Staff's panel: its own chunk, fetched when opened.
const AdminApp = lazy(() => import('../features/admin/AdminApp'));

const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/search', element: <SearchPage /> },
      { path: '/c/:slug', element: <CategoryPage /> },
      { path: '/products/:id', element: <ProductPage /> },
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/register', element: <RegisterPage /> },
      { path: '/verify-email', element: <VerifyEmailPage /> },
      { path: '/forgot-password', element: <ForgotPasswordPage /> },
      { path: '/reset-password', element: <ResetPasswordPage /> },
      { path: '/cart', element: signedIn(<CartPage />) },
      { path: '/checkout', element: signedIn(<CheckoutPage />) },
      { path: '/account', element: signedIn(<AccountPage />) },
      { path: '/account/orders', element: signedIn(<OrdersPage />) },
      { path: '/account/security', element: signedIn(<SecurityPage />) },
      { path: '/account/orders/:id', element: signedIn(<OrderPage />) },
      {
        path: '/admin/*',
        element: (
          <Suspense fallback={<Loading what="the admin panel" />}>
            <AdminApp />
          </Suspense>
        ),
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <SessionProvider>
        <RouterProvider router={router} />
      </SessionProvider>
    </QueryClientProvider>
  );
}
