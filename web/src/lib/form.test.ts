import { describe, expect, it } from 'vitest';

import { addressFrom, secret, text } from './form';

describe('reading forms', () => {
  it('trims text and keeps passwords as typed', () => {
    const form = new FormData();
    form.set('email', '  ada@example.com ');
    form.set('password', ' spaced pass ');
    expect(text(form, 'email')).toBe('ada@example.com');
    expect(secret(form, 'password')).toBe(' spaced pass ');
    expect(text(form, 'missing')).toBe('');
  });

  it('reads an address with every field, the country upper-cased', () => {
    const form = new FormData();
    form.set('name', 'Ada Lovelace');
    form.set('line1', '1 Main St');
    form.set('city', 'London');
    form.set('postal_code', 'N1 1AA');
    form.set('country', 'gb');
    expect(addressFrom(form)).toEqual({
      name: 'Ada Lovelace', line1: '1 Main St', line2: '', city: 'London', region: '',
      postal_code: 'N1 1AA', country: 'GB', phone: '',
    });
  });
});
