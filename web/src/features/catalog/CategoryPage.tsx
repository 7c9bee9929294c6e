import { Link, useParams } from 'react-router';

import { Failed, Loading } from '../../components/Status';
import { usePageTitle } from '../../lib/title';
import { NotFoundPage } from '../../components/NotFoundPage';
import { CategoryLinks } from './CategoryLinks';
import { Results } from './Results';
import { findBySlug, useCategories } from './queries';

export function CategoryPage() {
  const { slug = '' } = useParams();
  const categories = useCategories();
  const path = categories.data === undefined ? null : findBySlug(categories.data, slug);
  const category = path?.at(-1);
  usePageTitle(category?.name ?? null);
  if (categories.isPending) return <Loading what="the category" />;
  if (categories.isError) return <Failed error={categories.error} />;
  if (path === null || category === undefined) return <NotFoundPage />;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/">Home</Link>
          </li>
          {path.map((c) => (
            <li key={c.id}>
              {c.id === category.id ? <span aria-current="page">{c.name}</span> : <Link to={`/c/${c.slug}`}>{c.name}</Link>}
            </li>
          ))}
        </ol>
      </nav>
      <h1>{category.name}</h1>
      {category.description !== '' && <p className="lead">{category.description}</p>}
      <CategoryLinks categories={category.children} label={`Within ${category.name}`} />
      <Results key={category.id} fixed={{ category: category.id }} label={`Products in ${category.name}`} />
    </>
  );
}
