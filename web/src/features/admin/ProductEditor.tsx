import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { api, data, type Schemas } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';
import { useSession } from '../account/session';
import type { Category, Product } from '../catalog/queries';
import { useCategories } from '../catalog/queries';
import { parsePairs, parsePrice, parseTags, showPairs, showPrice } from './productForm';
import { productPath } from '../../lib/slug';

type Body = Schemas['ProductBody'];

interface VariantRow {
  key: number;
  sku: string;
  price: string;
  currency: string;
  attributes: string;
}

function flatten(tree: Category[], depth = 0): { id: string; label: string }[] {
  return tree.flatMap((c) => [{ id: c.id, label: `${'— '.repeat(depth)}${c.name}` }, ...flatten(c.children, depth + 1)]);
}

let next = 0;
const row = (v?: Product['variants'][number]): VariantRow => ({
  key: next++,
  sku: v?.sku ?? '',
  price: v ? showPrice(v.price.amount, v.price.currency) : '',
  currency: v?.price.currency ?? 'USD',
  attributes: v ? showPairs(v.attributes) : '',
});

/** Reads the editor into the API's body, or the problems with what was typed. */
function read(form: FormData, rows: VariantRow[]): { body: Body } | { problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const attributes = parsePairs(text(form, 'attributes'));
  if (attributes === null) problems.attributes = 'Write name=value pairs, separated by commas.';
  const variants = rows.map((r) => {
    const sku = text(form, `sku-${r.key}`);
    const currency = text(form, `currency-${r.key}`).toUpperCase();
    const amount = parsePrice(text(form, `price-${r.key}`), currency || 'USD');
    const pairs = parsePairs(text(form, `attributes-${r.key}`));
    if (sku === '') problems[`sku-${r.key}`] = 'Every variant needs a SKU.';
    if (amount === null) problems[`price-${r.key}`] = 'Write a price such as 12.50.';
    if (pairs === null) problems[`attributes-${r.key}`] = 'Write name=value pairs, separated by commas.';
    return { sku, price: { amount: amount ?? 0, currency }, attributes: pairs ?? {} };
  });
  const url = text(form, 'image_url');
  if (url !== '' && !url.startsWith('https://')) problems.image_url = 'An image is an https:// address.';
  if (Object.keys(problems).length > 0) return { problems };
  return {
    body: {
      name: text(form, 'name'),
      description: text(form, 'description'),
      category_id: text(form, 'category_id') || null,
      status: text(form, 'status'),
      tags: parseTags(text(form, 'tags')),
      attributes: attributes ?? {},
      images: url === '' ? [] : [{ url, alt: text(form, 'image_alt') || text(form, 'name') }],
      variants,
    },
  };
}

function Editor({ product }: { product: Product | null }) {
  const categories = useCategories();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [rows, setRows] = useState<VariantRow[]>(() => (product ? product.variants.map(row) : [row()]));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  async function save(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const read_ = read(new FormData(event.currentTarget), rows);
    setSaved(false);
    setError(null);
    if ('problems' in read_) {
      setProblems(read_.problems);
      setError('Some fields need another look.');
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      const done = product
        ? await data(api.PATCH('/api/v1/products/{id}', { params: { path: { id: product.id } }, body: read_.body }))
        : await data(api.POST('/api/v1/products', { body: read_.body }));
      void queries.invalidateQueries({ queryKey: ['admin', 'products'] });
      queries.setQueryData(['product', done.id], done);
      setSaved(true);
      if (!product) void navigate(`/admin/products/${done.id}`, { replace: true });
    } catch (e) {
      if (e instanceof ApiError) setProblems(e.fieldErrors());
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }
  const image = product?.images[0];
  return (
    <form onSubmit={(e) => void save(e)} noValidate className="editor">
      <FormError message={error} />
      {saved && (
        <p className="notice" role="status">
          Saved. {product && <Link to={productPath(product)}>See it in the shop</Link>}
        </p>
      )}
      <Field label="Name" name="name" defaultValue={product?.name ?? ''} required error={problems.name} />
      <label className="field">
        Description
        <textarea name="description" rows={4} defaultValue={product?.description ?? ''} />
      </label>
      <label className="field">
        Category
        <select name="category_id" defaultValue={product?.category_id ?? ''}>
          <option value="">None</option>
          {flatten(categories.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        Status
        <select name="status" defaultValue={product?.status ?? 'draft'}>
          <option value="draft">Draft (not in the shop)</option>
          <option value="active">Active (for sale)</option>
          <option value="archived">Archived</option>
        </select>
      </label>
      <Field label="Tags (comma-separated)" name="tags" defaultValue={product?.tags.join(', ') ?? ''} error={problems.tags} />
      <Field
        label="Attributes (name=value, comma-separated)"
        name="attributes"
        defaultValue={product ? showPairs(product.attributes) : ''}
        error={problems.attributes}
      />
      <Field label="Image URL (https://…)" name="image_url" type="url" defaultValue={image?.url ?? ''} error={problems.image_url} />
      <Field label="Image description" name="image_alt" defaultValue={image?.alt ?? ''} />
      <fieldset>
        <legend>Variants</legend>
        {rows.map((r, i) => (
          <div key={r.key} className="variant-row" role="group" aria-label={`Variant ${i + 1}`}>
            <Field label={`SKU of variant ${i + 1}`} name={`sku-${r.key}`} defaultValue={r.sku} error={problems[`sku-${r.key}`] ?? problems[`variants[${i}].sku`]} />
            <Field label={`Price of variant ${i + 1}`} name={`price-${r.key}`} inputMode="decimal" defaultValue={r.price} error={problems[`price-${r.key}`] ?? problems[`variants[${i}].price`]} />
            <Field label={`Currency of variant ${i + 1}`} name={`currency-${r.key}`} defaultValue={r.currency} maxLength={3} />
            <Field
              label={`Options of variant ${i + 1} (e.g. size=M)`}
              name={`attributes-${r.key}`}
              defaultValue={r.attributes}
              error={problems[`attributes-${r.key}`]}
            />
            {rows.length > 1 && (
              <button type="button" className="link" onClick={() => { setRows(rows.filter((x) => x.key !== r.key)); }}>
                Remove variant {i + 1}
              </button>
            )}
          </div>
        ))}
        <button type="button" className="button--secondary" onClick={() => { setRows([...rows, row()]); }}>
          Add a variant
        </button>
      </fieldset>
      <button type="submit" disabled={busy}>
        {product ? 'Save product' : 'Create product'}
      </button>
    </form>
  );
}

export function ProductEditor() {
  const { id } = useParams();
  const { user } = useSession();
  usePageTitle(id ? 'Edit product' : 'New product');
  const product = useQuery({
    queryKey: ['product', id],
    queryFn: () => data(api.GET('/api/v1/products/{id}', { params: { path: { id: id ?? '' } } })),
    enabled: id !== undefined,
  });
  if (id === undefined) {
    return (
      <section>
        <h1>New product</h1>
        <Editor product={null} />
      </section>
    );
  }
  if (product.isPending) return <Loading what="the product" />;
  if (product.isError) return <Failed error={product.error} />;
  if (user?.role === 'vendor' && product.data.vendor_id !== user.id) {
    return (
      <section>
        <h1>Not your product</h1>
        <p className="status status--error" role="alert">
          You can edit only your own products.
        </p>
        <Link to="/admin/products">Your products</Link>
      </section>
    );
  }
  return (
    <section>
      <h1>Edit {product.data.name}</h1>
      <Editor key={product.data.id} product={product.data} />
      <p>
        Stock: {product.data.variants.map((v) => (
          <Link key={v.sku} className="chip" to={`/admin/inventory?sku=${encodeURIComponent(v.sku)}`}>
            {v.sku}
          </Link>
        ))}
      </p>
    </section>
  );
}
