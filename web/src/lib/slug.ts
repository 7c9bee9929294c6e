// Readable addresses: `Tea & Coffee` → `tea-coffee`, and a product's page at
// `/products/<name>-<id>` (the id alone works too; the name is only for people and
// search engines, so a renamed product's old address still opens it).

/** A slug (1-64 of a-z, 0-9 and inner hyphens) made from `name`. */
export function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

const TRAILING_ID = /(?:^|-)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function productPath(product: { id: string; name: string }): string {
  const slug = slugOf(product.name);
  return slug === '' ? `/products/${product.id}` : `/products/${slug}-${product.id}`;
}

/** The product id a `/products/<slug-or-id>` address names. */
export function productIdFrom(param: string): string {
  return TRAILING_ID.exec(param)?.[1] ?? param;
}
