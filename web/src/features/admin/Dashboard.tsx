import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';

import { api, data, type Schemas } from '../../api/client';
import { Failed, Loading } from '../../components/Status';
import { formatMoney } from '../../lib/money';
import { usePageTitle } from '../../lib/title';
import { changeText, lastDays } from './dates';
import { productPath } from '../../lib/slug';

type Figures = Schemas['FiguresView'];

function Tile({ label, value, change }: { label: string; value: string; change?: number | null }) {
  return (
    <div className="tile">
      <dt>{label}</dt>
      <dd>
        <span className="tile__value">{value}</span>
        {change !== undefined && <span className="tile__change"> {changeText(change)} vs previous 30 days</span>}
      </dd>
    </div>
  );
}

/** Net revenue per day as bars (an SVG with a text alternative: the table beside it). */
function RevenueChart({ points, currency }: { points: Schemas['PointView'][]; currency: string }) {
  const values = points.map((p) => p.figures.find((f) => f.currency === currency)?.net ?? 0);
  const max = Math.max(1, ...values);
  const width = 600;
  const bar = width / Math.max(1, values.length);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} 120`} role="img" aria-label={`Net revenue per day in ${currency}`}>
        {values.map((v, i) => {
          const h = (v / max) * 110;
          return <rect key={points[i]?.start ?? i} x={i * bar + 1} y={115 - h} width={Math.max(1, bar - 2)} height={h} className="chart__bar" />;
        })}
      </svg>
      <figcaption>
        Net revenue per day, {currency}: {formatMoney({ amount: values.reduce((a, b) => a + b, 0), currency })} in all
      </figcaption>
    </figure>
  );
}

export function Dashboard() {
  usePageTitle('Dashboard');
  const range = lastDays(30);
  const summary = useQuery({
    queryKey: ['analytics', 'summary', range],
    queryFn: () => data(api.GET('/api/v1/admin/analytics/summary', { params: { query: range } })),
  });
  const series = useQuery({
    queryKey: ['analytics', 'series', range],
    queryFn: () => data(api.GET('/api/v1/admin/analytics/series', { params: { query: { ...range, interval: 'day' } } })),
  });
  const top = useQuery({
    queryKey: ['analytics', 'top', range],
    queryFn: () => data(api.GET('/api/v1/admin/analytics/top-products', { params: { query: { ...range, limit: 5 } } })),
  });
  const funnel = useQuery({
    queryKey: ['analytics', 'funnel', range],
    queryFn: () => data(api.GET('/api/v1/admin/analytics/funnel', { params: { query: range } })),
  });
  const alerts = useQuery({
    queryKey: ['inventory', 'alerts'],
    queryFn: () => data(api.GET('/api/v1/admin/inventory/alerts', { params: { query: { per_page: 6 } } })),
  });
  if (summary.isPending) return <Loading what="the figures" />;
  if (summary.isError) return <Failed error={summary.error} />;
  const money = (f: Figures, amount: number) => formatMoney({ amount, currency: f.currency });
  return (
    <section>
      <h1>Dashboard</h1>
      <p className="lead">
        The last 30 days ({summary.data.from} to {summary.data.to}).
      </p>
      {summary.data.currencies.length === 0 && <p>No sales in this period yet.</p>}
      {summary.data.currencies.map((c) => (
        <dl key={c.currency} className="tiles" aria-label={`Sales in ${c.currency}`}>
          <Tile label={`Revenue (net, ${c.currency})`} value={money(c.current, c.current.net)} change={c.change.net} />
          <Tile label="Orders" value={String(c.current.orders)} change={c.change.orders} />
          <Tile
            label="Average order value"
            value={money(c.current, c.current.average_order_value)}
            change={c.change.average_order_value}
          />
          <Tile label="Units sold" value={String(c.current.units)} change={c.change.units} />
        </dl>
      ))}
      {series.data && summary.data.currencies[0] && (
        <RevenueChart points={series.data.points} currency={summary.data.currencies[0].currency} />
      )}
      <div className="panels">
        <section aria-labelledby="top-heading">
          <h2 id="top-heading">Top products</h2>
          {top.isError && <Failed error={top.error} />}
          <ol>
            {top.data?.items.map((p) => (
              <li key={`${p.currency}-${p.id}`}>
                <Link to={productPath(p)}>{p.name}</Link> — {formatMoney({ amount: p.net, currency: p.currency })} ({p.units}{' '}
                units)
              </li>
            ))}
          </ol>
        </section>
        <section aria-labelledby="funnel-heading">
          <h2 id="funnel-heading">Funnel</h2>
          {funnel.isError && <Failed error={funnel.error} />}
          {funnel.data && (
            <dl className="funnel">
              {(
                [
                  ['Visitors', funnel.data.current.visitors],
                  ['Product views', funnel.data.current.product_views],
                  ['Added to cart', funnel.data.current.added_to_cart],
                  ['Checkouts started', funnel.data.current.checkouts_started],
                  ['Orders paid', funnel.data.current.orders_paid],
                ] as const
              ).map(([label, value]) => (
                <div key={label}>
                  <dt>{label}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
          )}
        </section>
        <section aria-labelledby="low-heading">
          <h2 id="low-heading">Low stock</h2>
          {alerts.isError && <Failed error={alerts.error} />}
          {alerts.data?.items.length === 0 && <p>Nothing is running low.</p>}
          <ul className="low-stock">
            {alerts.data?.items.map((s) => (
              <li key={s.sku}>
                <Link to={`/admin/inventory?sku=${encodeURIComponent(s.sku)}`}>{s.sku}</Link>: {s.available} left (alert
                at {s.low_stock_threshold})
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}
