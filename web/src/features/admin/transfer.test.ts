import { describe, expect, it } from 'vitest';

import { readImport } from './Transfer';

const counts = (rows: number, failed: number) => ({ rows, created: rows - failed, updated: 0, unchanged: 0, failed });

describe("an import's answer", () => {
  it('ends with its counts and the rows it refused', () => {
    const body = [
      JSON.stringify({ progress: counts(2, 0) }),
      JSON.stringify({ error: { row: 3, message: 'price: must be at least 0' } }),
      JSON.stringify({ done: counts(3, 1) }),
      '',
    ].join('\n');
    expect(readImport(body)).toEqual({ counts: counts(3, 1), errors: ['row 3: price: must be at least 0'], aborted: null });
  });

  it('says when it stopped', () => {
    expect(readImport(JSON.stringify({ aborted: { detail: 'catalog is unavailable' } })).aborted).toBe('catalog is unavailable');
  });
});
