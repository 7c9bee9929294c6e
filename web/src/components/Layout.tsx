import { Link, Outlet } from 'react-router';

import { SearchBox } from './SearchBox';

export function Layout() {
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
