import { Failed, Loading } from '../../components/Status';
import { usePageTitle } from '../../lib/title';
import { CategoryLinks } from './CategoryLinks';
import { ProductGrid } from './ProductCard';
import { useCategories, useProducts } from './queries';

export function HomePage() {
  usePageTitle(null);
  const categories = useCategories();
  const featured = useProducts({ sort: 'rating', in_stock: true, per_page: 8 });
  return (
    <>
      <section aria-labelledby="categories-heading">
        <h1 id="categories-heading">Shop by category</h1>
        {categories.isPending && <Loading what="categories" />}
        {categories.isError && <Failed error={categories.error} />}
        {categories.data !== undefined && <CategoryLinks categories={categories.data} label="Categories" />}
      </section>
      <section aria-labelledby="featured-heading">
        <h2 id="featured-heading">Featured</h2>
        {featured.isPending && <Loading what="products" />}
        {featured.isError && <Failed error={featured.error} />}
        {featured.data !== undefined && <ProductGrid products={featured.data.items} label="Featured products" />}
      </section>
    </>
  );
}
