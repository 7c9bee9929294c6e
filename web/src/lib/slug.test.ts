import { describe, expect, it } from 'vitest';

import { productIdFrom, productPath, slugOf } from './slug';

const id = '01920000-0000-7000-8000-0000000000f0';

describe('readable addresses', () => {
  it('makes slugs the API takes from names', () => {
    expect(slugOf('Tea & Coffee')).toBe('tea-coffee');
    expect(slugOf('  Café Crème ')).toBe('cafe-creme');
    expect(slugOf('---')).toBe('');
    expect(slugOf('a'.repeat(70))).toHaveLength(64);
  });

  it('puts a product’s name before its id, and reads the id back from either form', () => {
    expect(productPath({ id, name: 'Field Brass Table Lamp' })).toBe(`/products/field-brass-table-lamp-${id}`);
    expect(productPath({ id, name: '★' })).toBe(`/products/${id}`);
    expect(productIdFrom(`field-brass-table-lamp-${id}`)).toBe(id);
    expect(productIdFrom(id)).toBe(id);
    expect(productIdFrom('no-id-here')).toBe('no-id-here');
  });
});
