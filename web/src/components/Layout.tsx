import { Link, Outlet } from 'react-router';

import { useSession } from '../features/account/session';
import { unitCount, useCart } from '../features/cart/cart';
import { SearchBox } from './SearchBox';

function CartLink() {
  const { user } = useSession();
  const cart = useCart(Boolean(user));
  const count = unitCount(cart.data);
  return (
    <Link to="/cart">
      Cart{count > 0 && <span className="count"> ({count}<span className="visually-hidden"> items</span>)</span>}
    </Link>
  );
}

export function Layout() {
  const { user } = useSession();
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="header">
        <Link to="/" className="brand">
          Shop
        </Link>
        <SearchBox />
        <nav aria-label="Shop">
          <ul className="nav">
            <li>
              <Link to="/search">All products</Link>
            </li>
            {user && user.role !== 'customer' && (
              <li>
                <Link to="/admin">Admin</Link>
              </li>
            )}
            <li>{user ? <Link to="/account">Account</Link> : <Link to="/sign-in">Sign in</Link>}</li>
            <li>
              <CartLink />
            </li>
          </ul>
        </nav>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="footer">
        <p>Things made by independent makers.</p>
      </footer>
    </>
  );
}
