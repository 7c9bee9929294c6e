import type { Address } from '../lib/form';
import { Field } from './Field';

const FIELDS: [keyof Address, string, string, boolean][] = [
  ['name', 'Full name', 'name', true],
  ['line1', 'Address', 'address-line1', true],
  ['line2', 'Apartment, suite (optional)', 'address-line2', false],
  ['city', 'City', 'address-level2', true],
  ['region', 'State or region (optional)', 'address-level1', false],
  ['postal_code', 'Postal code', 'postal-code', true],
  ['country', 'Country code (e.g. US, DE)', 'country', true],
  ['phone', 'Phone (optional)', 'tel', false],
];

/** The fields of a postal address (read back with `addressFrom`), with the shop's
 * complaints about each (`errors` by field name). */
export function AddressFields({
  saved,
  errors,
  required = true,
}: {
  saved: Partial<Address> | null | undefined;
  errors: Record<string, string | undefined>;
  required?: boolean;
}) {
  return (
    <>
      {FIELDS.map(([name, label, autoComplete, needed]) => (
        <Field
          key={name}
          label={label}
          name={name}
          autoComplete={autoComplete}
          required={required && needed}
          defaultValue={saved?.[name] ?? ''}
          error={errors[name]}
        />
      ))}
    </>
  );
}
