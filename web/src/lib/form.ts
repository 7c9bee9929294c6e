// Reading a submitted form: every value as trimmed text (a file input never reaches here).
import type { Schemas } from '../api/client';

export type Address = Schemas['Address'];

export function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

/** A password as typed (spaces are part of it). */
export function secret(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export const ADDRESS_KEYS = ['name', 'line1', 'line2', 'city', 'region', 'postal_code', 'country', 'phone'] as const;

/** The postal address a form's fields hold (empty strings where nothing was typed). */
export function addressFrom(form: FormData): Address {
  const [name, line1, line2, city, region, postal_code, country, phone] = ADDRESS_KEYS.map((k) => text(form, k));
  return {
    name: name ?? '',
    line1: line1 ?? '',
    line2: line2 ?? '',
    city: city ?? '',
    region: region ?? '',
    postal_code: postal_code ?? '',
    country: (country ?? '').toUpperCase(),
    phone: phone ?? '',
  };
}
