import { describe, expect, it } from 'vitest';

import { buyable, chosen, initialChoice, options } from './variants';

const variants = [
  { sku: 'TEE-S-RED', attributes: { size: 'S', colour: 'red' }, available: 0 },
  { sku: 'TEE-M-RED', attributes: { size: 'M', colour: 'red' }, available: 4 },
  { sku: 'TEE-M-BLUE', attributes: { size: 'M', colour: 'blue' }, available: null },
];

describe('variant choice', () => {
  it('lists each attribute once with its values in order', () => {
    expect(options(variants)).toEqual([
      { name: 'size', values: ['S', 'M'] },
      { name: 'colour', values: ['red', 'blue'] },
    ]);
  });

  it('finds the variant a full choice names, and none for a combination not sold', () => {
    expect(chosen(variants, { size: 'M', colour: 'blue' })?.sku).toBe('TEE-M-BLUE');
    expect(chosen(variants, { size: 'S', colour: 'blue' })).toBeUndefined();
  });

  it('starts on the first variant that can be bought', () => {
    expect(initialChoice(variants)).toEqual({ size: 'M', colour: 'red' });
    expect(buyable(variants[0])).toBe(false);
    expect(buyable(variants[2])).toBe(true);
    expect(buyable(undefined)).toBe(false);
  });
});
