import { describe, expect, it } from 'vitest';

import { slugOf } from './Categories';

describe('category slugs', () => {
  it('makes an address part the API takes from a name', () => {
    expect(slugOf('Tea & Coffee')).toBe('tea-coffee');
    expect(slugOf('  Café Crème ')).toBe('cafe-creme');
    expect(slugOf('---')).toBe('');
    expect(slugOf('a'.repeat(70))).toHaveLength(64);
  });
});
