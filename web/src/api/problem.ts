// Errors as the gateway answers them (RFC 9457 problem documents), turned into sentences a
// shopper can act on.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;

  constructor(status: number, problem: Problem | null) {
    super(problem?.detail ?? `the shop answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  get code(): string | undefined {
    return this.problem?.code;
  }

  /** The message of each field the shop refused, by field. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) {
      out[e.field] ??= e.message;
    }
    return out;
  }
}

const BY_CODE: Record<string, string> = {
  invalid_credentials: 'That email and password do not match an account.',
  email_taken: 'An account with this email already exists. Sign in instead?',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  out_of_stock: 'Some items are no longer available in the quantity you chose.',
  payment_declined: 'Your card was declined. No money was taken; try another card.',
  email_unverified: 'Please confirm your email address first: we sent you a link.',
  sign_in_failed: 'Signing in with the provider did not complete. Please start again.',
  account_exists: 'An account with this email exists: sign in to it, then link the provider from your account.',
};

/** What to tell the person about `error`. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    const known = error.code === undefined ? undefined : BY_CODE[error.code];
    if (known !== undefined) return known;
    if (error.status === 401) return 'Please sign in to continue.';
    if (error.status === 403) return 'You do not have access to this.';
    if (error.status === 404) return 'We could not find that.';
    if (error.status >= 500) return 'The shop is having trouble right now. Please try again shortly.';
    return error.problem?.detail ?? 'Something went wrong.';
  }
  if (error instanceof TypeError) return 'The shop cannot be reached. Check your connection and try again.';
  return 'Something went wrong.';
}
