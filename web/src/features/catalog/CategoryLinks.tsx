import { Link } from 'react-router';

import type { Category } from './queries';

/** Links to the active ones of `categories`. */
export function CategoryLinks({ categories, label }: { categories: Category[]; label: string }) {
  const active = categories.filter((c) => c.active);
  if (active.length === 0) return null;
  return (
    <ul className="categories" aria-label={label}>
      {active.map((c) => (
        <li key={c.id}>
          <Link to={`/c/${c.slug}`}>{c.name}</Link>
        </li>
      ))}
    </ul>
  );
}
