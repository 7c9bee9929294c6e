// Prices as the API gives them (integer minor units and an ISO-4217 code), shown as people
// read them. Arithmetic stays in minor units; only display turns them into decimals.

export interface Money {
  amount: number;
  currency: string;
}

const formats = new Map<string, Intl.NumberFormat>();

function format(currency: string): Intl.NumberFormat {
  let found = formats.get(currency);
  if (found === undefined) {
    found = new Intl.NumberFormat('en', { style: 'currency', currency });
    formats.set(currency, found);
  }
  return found;
}

/** How many minor units make one major unit of `currency` (100 for EUR, 1 for JPY). */
export function minorPerMajor(currency: string): number {
  return 10 ** (format(currency).resolvedOptions().maximumFractionDigits ?? 2);
}

export function formatMoney(money: Money): string {
  return format(money.currency).format(money.amount / minorPerMajor(money.currency));
}

/** `money` times `quantity`, in minor units. */
export function times(money: Money, quantity: number): Money {
  return { amount: money.amount * quantity, currency: money.currency };
}

/** The lowest and highest of `prices` (one currency), for a "from" price. */
export function priceRange(prices: Money[]): { low: Money; high: Money } | null {
  const [first, ...rest] = prices;
  if (first === undefined) return null;
  let low = first;
  let high = first;
  for (const p of rest) {
    if (p.amount < low.amount) low = p;
    if (p.amount > high.amount) high = p;
  }
  return { low, high };
}
