import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';

import { ApiError } from '../../api/problem';
import { Failed, Loading } from '../../components/Status';
import { NotFoundPage } from '../../components/NotFoundPage';
import { track } from '../../lib/behaviour';
import { formatMoney } from '../../lib/money';
import { productIdFrom } from '../../lib/slug';
import { usePageTitle } from '../../lib/title';
import { AddToCart } from '../cart/AddToCart';
import { Reviews } from './Reviews';
import { type Product, useProduct } from './queries';
import { buyable, chosen, initialChoice, options } from './variants';

export function ProductPage() {
  const { id: param = '' } = useParams();
  const product = useProduct(productIdFrom(param));
  usePageTitle(product.data?.name ?? null);
  if (product.isPending) return <Loading what="the product" />;
  if (product.error instanceof ApiError && product.error.status === 404) return <NotFoundPage />;
  if (product.isError) return <Failed error={product.error} />;
  return <ProductDetail key={product.data.id} product={product.data} />;
}

function Availability({ available }: { available: number | null | undefined }) {
  if (available === undefined || available === null) return <p className="stock">Available</p>;
  if (available <= 0) return <p className="stock stock--out">Sold out</p>;
  if (available <= 5) return <p className="stock stock--low">Only {available} left</p>;
  return <p className="stock">In stock</p>;
}

function ProductDetail({ product }: { product: Product }) {
  useEffect(() => {
    track({ type: 'product_viewed', product_id: product.id });
  }, [product.id]);
  const [choice, setChoice] = useState(() => initialChoice(product.variants));
  const variant = chosen(product.variants, choice);
  const [image, setImage] = useState(0);
  const shown = product.images[image] ?? product.images[0];
  return (
    <article className="product">
      <div className="product__media">
        {shown !== undefined && <img src={shown.url} alt={shown.alt} className="product__image" />}
        {product.images.length > 1 && (
          <ul className="thumbs" aria-label="Images">
            {product.images.map((img, i) => (
              <li key={img.url}>
                <button type="button" aria-pressed={i === image} onClick={() => { setImage(i); }}>
                  <img src={img.url} alt={`Show ${img.alt}`} />
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="product__info">
        <h1>{product.name}</h1>
        {product.rating.count > 0 && (
          <p className="rating">
            <a href="#reviews">
              {product.rating.average.toFixed(1)} out of 5 ({product.rating.count}{' '}
              {product.rating.count === 1 ? 'review' : 'reviews'})
            </a>
          </p>
        )}
        <p className="price" aria-live="polite">
          {variant === undefined ? 'This combination is not sold' : formatMoney(variant.price)}
        </p>
        {options(product.variants).map((option) => (
          <fieldset key={option.name} className="option">
            <legend>{option.name}</legend>
            {option.values.map((value) => (
              <label key={value} className="option__value">
                <input
                  type="radio"
                  name={`option-${option.name}`}
                  value={value}
                  checked={choice[option.name] === value}
                  onChange={() => { setChoice({ ...choice, [option.name]: value }); }}
                />
                <span>{value}</span>
              </label>
            ))}
          </fieldset>
        ))}
        {variant !== undefined && <Availability available={variant.available} />}
        <p className="sku">SKU {variant?.sku ?? '—'}</p>
        <p className="description">{product.description}</p>
        {Object.keys(product.attributes).length > 0 && (
          <dl className="attributes">
            {Object.entries(product.attributes).map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        )}
        {product.tags.length > 0 && (
          <ul className="tags" aria-label="Tags">
            {product.tags.map((t) => (
              <li key={t}>
                <Link to={`/search?tag=${encodeURIComponent(t)}`}>{t}</Link>
              </li>
            ))}
          </ul>
        )}
        <AddToCart productId={product.id} sku={variant?.sku} disabled={!buyable(variant)} />
      </div>
      <Reviews product={product} />
    </article>
  );
}
