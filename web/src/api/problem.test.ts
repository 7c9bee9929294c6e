import { describe as suite, expect, it } from 'vitest';

import { ApiError, describe } from './problem';

suite('describing errors', () => {
  it('names a known code in plain words', () => {
    const declined = new ApiError(402, { code: 'payment_declined', detail: 'card_declined' });
    expect(describe(declined)).toMatch(/declined/);
    expect(describe(declined)).not.toContain('card_declined');
  });

  it('falls back by status, then to the detail', () => {
    expect(describe(new ApiError(401, null))).toBe('Please sign in to continue.');
    expect(describe(new ApiError(503, { code: 'unavailable' }))).toMatch(/trouble/);
    expect(describe(new ApiError(400, { detail: 'quantity must be at least 1' }))).toBe('quantity must be at least 1');
  });

  it('tells a network failure apart', () => {
    expect(describe(new TypeError('Failed to fetch'))).toMatch(/cannot be reached/);
  });

  it('collects the first message of each refused field', () => {
    const refused = new ApiError(400, {
      code: 'validation_failed',
      errors: [
        { field: 'email', message: 'must be an email address' },
        { field: 'email', message: 'second' },
        { field: 'password', message: 'too short' },
      ],
    });
    expect(refused.fieldErrors()).toEqual({ email: 'must be an email address', password: 'too short' });
  });
});
