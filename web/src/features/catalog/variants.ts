// Choosing a variant by its attributes (colour, size…): the options each attribute offers,
// and the variant a choice names.

export interface VariantLike {
  sku: string;
  attributes: Record<string, string>;
  available?: number | null;
}

export interface Option {
  name: string;
  values: string[];
}

/** Each attribute the variants differ by, with its values in first-seen order. */
export function options(variants: VariantLike[]): Option[] {
  const byName = new Map<string, string[]>();
  for (const v of variants) {
    for (const [name, value] of Object.entries(v.attributes)) {
      const values = byName.get(name) ?? [];
      if (!values.includes(value)) values.push(value);
      byName.set(name, values);
    }
  }
  return [...byName].map(([name, values]) => ({ name, values }));
}

/** The variant with every chosen value, if there is one. */
export function chosen<V extends VariantLike>(variants: V[], choice: Record<string, string>): V | undefined {
  return variants.find((v) => Object.entries(choice).every(([name, value]) => v.attributes[name] === value));
}

/** The choice that names `variant` (the first variant that can be bought, by default). */
export function initialChoice(variants: VariantLike[]): Record<string, string> {
  const first = variants.find((v) => v.available === undefined || v.available === null || v.available > 0);
  return { ...(first ?? variants[0])?.attributes };
}

/** Whether a variant can be bought now: untracked stock counts as available. */
export function buyable(variant: VariantLike | undefined): boolean {
  if (variant === undefined) return false;
  return variant.available === undefined || variant.available === null || variant.available > 0;
}
