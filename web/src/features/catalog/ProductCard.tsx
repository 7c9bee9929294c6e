import { Link } from 'react-router';

import { formatMoney, priceRange } from '../../lib/money';
import type { Product } from './queries';
import { productPath } from '../../lib/slug';

export function ProductCard({ product }: { product: Product }) {
  const range = priceRange(product.variants.map((v) => v.price));
  const image = product.images[0];
  return (
    <li className="card">
      <Link to={productPath(product)} className="card__link">
        {image !== undefined && <img src={image.url} alt={image.alt} loading="lazy" className="card__image" />}
        <span className="card__name">{product.name}</span>
      </Link>
      {range !== null && (
        <span className="card__price">
          {range.low.amount === range.high.amount ? '' : 'from '}
          {formatMoney(range.low)}
        </span>
      )}
      {product.in_stock === false && <span className="card__badge">Sold out</span>}
    </li>
  );
}

export function ProductGrid({ products, label }: { products: Product[]; label: string }) {
  if (products.length === 0) return <p className="status">No products match.</p>;
  return (
    <ul className="grid" aria-label={label}>
      {products.map((p) => (
        <ProductCard key={p.id} product={p} />
      ))}
    </ul>
  );
}
