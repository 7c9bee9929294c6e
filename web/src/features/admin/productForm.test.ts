import { describe, expect, it } from 'vitest';

import { parsePairs, parsePrice, parseTags, showPairs, showPrice } from './productForm';

describe('the product editor', () => {
  it('reads prices into exact minor units', () => {
    expect(parsePrice('12.50', 'EUR')).toBe(1250);
    expect(parsePrice('12.5', 'EUR')).toBe(1250);
    expect(parsePrice('0.10', 'USD')).toBe(10);
    expect(parsePrice('19,99', 'EUR')).toBe(1999);
    expect(parsePrice('1999', 'JPY')).toBe(1999);
    for (const bad of ['', 'abc', '1.234', '-1', '1e3', '12.']) expect(parsePrice(bad, 'EUR')).toBeNull();
    expect(parsePrice('1.5', 'JPY')).toBeNull();
  });

  it('shows minor units back as typed', () => {
    expect(showPrice(1250, 'EUR')).toBe('12.50');
    expect(showPrice(5, 'USD')).toBe('0.05');
    expect(showPrice(1999, 'JPY')).toBe('1999');
  });

  it('reads attributes and tags', () => {
    expect(parsePairs('size=M, colour = red')).toEqual({ size: 'M', colour: 'red' });
    expect(parsePairs('')).toEqual({});
    expect(parsePairs('size')).toBeNull();
    expect(parsePairs('=M')).toBeNull();
    expect(showPairs({ size: 'M', colour: 'red' })).toBe('size=M, colour=red');
    expect(parseTags(' mug, tea,, mug ')).toEqual(['mug', 'tea']);
  });
});
