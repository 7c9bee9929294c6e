import { useSearchParams } from 'react-router';

import { usePageTitle } from '../../lib/title';
import { Results } from './Results';

export function SearchPage() {
  const [url] = useSearchParams();
  const q = url.get('q') ?? '';
  usePageTitle(q === '' ? 'All products' : `Search: ${q}`);
  return (
    <>
      <h1>{q === '' ? 'All products' : `Results for “${q}”`}</h1>
      <Results fixed={{}} label="Search results" />
    </>
  );
}
