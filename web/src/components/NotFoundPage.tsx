import { Link } from 'react-router';

import { usePageTitle } from '../lib/title';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <>
      <h1>We could not find that page</h1>
      <p>
        It may have moved or sold out. <Link to="/">Back to the shop</Link>
      </p>
    </>
  );
}
