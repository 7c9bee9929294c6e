// A search's results with the filters, facets and sorts the API offers, kept in the URL so
// a result page can be shared and the back button works.
import { useEffect } from 'react';
import { useSearchParams } from 'react-router';

import { Failed, Loading } from '../../components/Status';
import { track } from '../../lib/behaviour';
import { useMedia } from '../../lib/media';
import { formatMoney } from '../../lib/money';
import { ProductGrid } from './ProductCard';
import { type SearchParams, useProducts } from './queries';

const SORTS: [string, string][] = [
  ['relevance', 'Best match'],
  ['price_asc', 'Price: low to high'],
  ['price_desc', 'Price: high to low'],
  ['newest', 'Newest'],
  ['rating', 'Best rated'],
];

/** The search the URL describes, narrowed to `fixed` (a category's page fixes its category). */
export function paramsFrom(url: URLSearchParams, fixed: SearchParams): SearchParams {
  const number = (name: string) => {
    const raw = url.get(name);
    const value = raw === null || raw === '' ? NaN : Number(raw);
    return Number.isInteger(value) && value >= 0 ? value : undefined;
  };
  const text = (name: string) => url.get(name) ?? undefined;
  const params: SearchParams = {
    q: text('q'),
    tag: text('tag'),
    attr: text('attr'),
    sort: text('sort'),
    cursor: text('cursor'),
    min_price: number('min_price'),
    max_price: number('max_price'),
    in_stock: url.get('in_stock') === 'true' ? true : undefined,
    per_page: 24,
    ...fixed,
  };
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
}

const WIDE = '(min-width: 48rem)';

export function Results({ fixed, label }: { fixed: SearchParams; label: string }) {
  const wide = useMedia(WIDE);
  const [url, setUrl] = useSearchParams();
  const params = paramsFrom(url, fixed);
  const results = useProducts(params, true);
  const total = results.data?.total;
  useEffect(() => {
    if (params.q !== undefined && params.q.length <= 100 && total !== undefined && params.cursor === undefined) {
      track({ type: 'search_performed', query: params.q, results: total });
    }
  }, [params.q, params.cursor, total]);
  const change = (name: string, value: string | null) => {
    const next = new URLSearchParams(url);
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
    if (name !== 'cursor') next.delete('cursor');
    setUrl(next);
  };
  const facets = results.data?.facets;
  return (
    <div className="results">
      <aside className="filters" aria-label="Filters">
        {/* Open beside the results on a wide screen; folded above them on a phone. */}
        <details open={wide}>
        <summary>Sort and filter</summary>
        <label className="field">
          Sort by
          <select value={params.sort ?? 'relevance'} onChange={(e) => { change('sort', e.target.value); }}>
            {SORTS.map(([value, name]) => (
              <option key={value} value={value}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={params.in_stock === true}
            onChange={(e) => { change('in_stock', e.target.checked ? 'true' : null); }}
          />
          In stock only{facets ? ` (${facets.in_stock})` : ''}
        </label>
        {facets && facets.tags.length > 0 && (
          <fieldset>
            <legend>Tags</legend>
            {facets.tags.slice(0, 12).map((t) => (
              <label className="check" key={t.value}>
                <input
                  type="radio"
                  name="tag"
                  checked={params.tag === t.value}
                  onChange={() => { change('tag', t.value); }}
                />
                {t.value} ({t.count})
              </label>
            ))}
            {params.tag !== undefined && (
              <button type="button" className="link" onClick={() => { change('tag', null); }}>
                Any tag
              </button>
            )}
          </fieldset>
        )}
        {facets?.attributes.map((a) => (
          <fieldset key={a.name}>
            <legend>{a.name}</legend>
            {a.values.slice(0, 12).map((v) => {
              const pair = `${a.name}:${v.value}`;
              return (
                <label className="check" key={v.value}>
                  <input
                    type="radio"
                    name={`attr-${a.name}`}
                    checked={params.attr === pair}
                    onChange={() => { change('attr', pair); }}
                  />
                  {v.value} ({v.count})
                </label>
              );
            })}
          </fieldset>
        ))}
        {facets && facets.prices.length > 0 && (
          <fieldset>
            <legend>Price</legend>
            {facets.prices.map((band) => {
              const currency = results.data?.items[0]?.variants[0]?.price.currency ?? 'USD';
              const from = band.from ?? 0;
              const name =
                band.to === null || band.to === undefined
                  ? `${formatMoney({ amount: from, currency })} and up`
                  : `${formatMoney({ amount: from, currency })} – ${formatMoney({ amount: band.to, currency })}`;
              const picked = params.min_price === from;
              return (
                <label className="check" key={`${from}`}>
                  <input
                    type="radio"
                    name="price"
                    checked={picked}
                    onChange={() => {
                      const next = new URLSearchParams(url);
                      next.set('min_price', String(from));
                      if (band.to === null || band.to === undefined) next.delete('max_price');
                      else next.set('max_price', String(band.to - 1));
                      next.delete('cursor');
                      setUrl(next);
                    }}
                  />
                  {name} ({band.count})
                </label>
              );
            })}
          </fieldset>
        )}
        </details>
      </aside>
      <section className="results__list" aria-label={label} aria-busy={results.isFetching}>
        {results.isPending && <Loading what="products" />}
        {results.isError && <Failed error={results.error} />}
        {results.data !== undefined && (
          <>
            <p className="results__count" role="status">
              {results.data.total} {results.data.total === 1 ? 'product' : 'products'}
            </p>
            <ProductGrid products={results.data.items} label={label} />
            {results.data.next_cursor && (
              <button type="button" onClick={() => { change('cursor', results.data.next_cursor ?? null); }}>
                Next page
              </button>
            )}
          </>
        )}
      </section>
    </div>
  );
}
