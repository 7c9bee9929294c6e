import { describe, expect, it } from 'vitest';

import { batches } from './behaviour';

describe('behaviour batches', () => {
  it('never sends more than 50 events at once', () => {
    const events = Array.from({ length: 120 }, () => ({ type: 'product_viewed', product_id: 'p' }));
    expect(batches(events).map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches([])).toEqual([]);
  });
});
