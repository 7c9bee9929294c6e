// Shoppers' journeys through the storefront in a real browser: sign up, search and filter,
// a product's variants, the cart, a checkout paid with the sandbox's test card, the order,
// its cancellation, a review (whose markup stays text); a declined card; the keyboard
// alone; accessibility (axe: no serious or critical violation) and the script budget.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { accessibilityProblems, initialScriptBytes, launch, shoot, unique, visitor } from './browser.mjs';
import { totp } from './totp.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function accessible(page, name) {
  assert.deepEqual(await accessibilityProblems(page), [], `axe on ${name}`);
}

async function signUp(page) {
  const email = `${unique('shopper')}@example.com`;
  await page.goto('/register');
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long enough passphrase');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
  return email;
}

/** Opens the first search result for `q` that can be bought, and returns its URL. */
async function openProduct(page, q) {
  await page.goto(`/search?q=${encodeURIComponent(q)}&in_stock=true`);
  await page.locator('.card__link').first().click();
  await page.getByRole('button', { name: 'Add to cart' }).waitFor();
  return page.url();
}

/** Adds each of the product's first `count` variants that can be bought: their SKUs. */
async function addVariants(page, count) {
  const skus = [];
  const values = page.locator('.option').first().locator('input[type=radio]');
  const n = await values.count();
  for (let i = 0; i < n && skus.length < count; i++) {
    await values.nth(i).check({ force: true });
    const add = page.getByRole('button', { name: 'Add to cart' });
    if (await add.isDisabled()) continue;
    const sku = (await page.locator('.sku').textContent()).replace('SKU ', '').trim();
    await add.click();
    await page.getByText('Added to your cart.').waitFor();
    skus.push(sku);
  }
  assert.equal(skus.length, count, 'enough variants in stock');
  return skus;
}

async function fillAddress(page) {
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Address', { exact: true }).fill('12 St James Square');
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Postal code').fill('SW1Y 4JH');
  await page.getByLabel('Country code (e.g. US, DE)').fill('GB');
}

test('a shopper signs up, searches, buys two variants, sees the order, cancels it and reviews', async () => {
  const { page, context } = await visitor(browser);
  page.on('dialog', (d) => {
    page.problems.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto('/');
  await page.locator('.card').first().waitFor();
  await accessible(page, 'home');
  await shoot(page, 'home');
  const budget = await initialScriptBytes(page);
  console.log(`initial JavaScript: ${(budget / 1024).toFixed(1)} KiB gzipped`);
  assert.ok(budget <= 150 * 1024, `initial JavaScript ${budget} B gzipped, budget 150 KiB`);

  await page.goto('/c/footwear');
  await page.locator('.card').first().waitFor();
  assert.equal(await page.title(), 'Footwear · Shop');
  await accessible(page, 'category');
  await shoot(page, 'category');

  const email = await signUp(page);

  // Search as one types, then the results with a filter and a sort.
  await page.getByRole('combobox', { name: 'Search products' }).fill('boot');
  await page.getByRole('list', { name: 'Suggestions' }).waitFor();
  await page.getByRole('combobox', { name: 'Search products' }).press('Enter');
  await page.getByRole('heading', { name: 'Results for “boot”' }).waitFor();
  // The filters live in the URL: the box shows checked once the navigation lands.
  await page.getByLabel(/In stock only/).click();
  await page.waitForURL(/in_stock=true/);
  await page.getByLabel('Sort by').selectOption('price_asc');
  await page.waitForURL(/sort=price_asc/);
  await page.locator('.card').first().waitFor();
  await accessible(page, 'search');
  await shoot(page, 'search');

  const productUrl = await openProduct(page, 'boot');
  // How soon the page is usable: navigation to a working "Add to cart".
  const started = Date.now();
  await page.goto(productUrl);
  await page.getByRole('button', { name: 'Add to cart' }).waitFor();
  console.log(`product page interactive in ${Date.now() - started} ms`);
  await accessible(page, 'product');
  await shoot(page, 'product');
  const skus = await addVariants(page, 2);

  await page.getByRole('link', { name: /^Cart/ }).click();
  const rows = page.locator('table.cart tbody tr');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  const before = await page.locator('.subtotal strong').textContent();
  await page.getByLabel(/Quantity of/).first().fill('2');
  await page.waitForFunction((was) => document.querySelector('.subtotal strong')?.textContent !== was, before);
  await accessible(page, 'cart');
  await shoot(page, 'cart');

  await page.getByRole('link', { name: 'Check out' }).click();
  await fillAddress(page);
  await accessible(page, 'checkout');
  await shoot(page, 'checkout');
  await page.getByLabel('Test Visa — payment succeeds').check();
  // A double click is one checkout.
  await page.getByRole('button', { name: 'Place order' }).dblclick();
  await page.getByText('Thank you — your order is placed.').waitFor();
  assert.match(await page.locator('main').textContent(), /Paid — being prepared/);
  for (const sku of skus) assert.match(await page.locator('main').textContent(), new RegExp(sku));
  await accessible(page, 'order');
  await shoot(page, 'order');

  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.getByRole('link', { name: 'Your orders' }).click();
  const orders = page.locator('table.orders tbody tr');
  await orders.first().waitFor();
  assert.equal(await orders.count(), 1, 'one order for a double click');
  await accessible(page, 'orders');
  await orders.first().getByRole('link').click();
  await page.getByLabel('Why (optional)').fill('ordered the wrong size');
  await page.getByRole('button', { name: 'Cancel order' }).click();
  await page.getByText(/Status: (Cancelled|Refunded)/).waitFor();

  // A review after buying; its markup is shown as text and runs nothing.
  await page.goto(productUrl);
  const attack = '<img src=x onerror="alert(1)"><script>alert(2)</script> Great boots';
  await page.getByRole('radio', { name: '4 stars' }).check();
  await page.getByLabel('Your review').fill(attack);
  await page.getByRole('button', { name: 'Post review' }).click();
  await page.getByText('Thank you for your review.').waitFor();
  await page.locator('.review__comment', { hasText: 'Great boots' }).waitFor();
  assert.equal(await page.locator('.review__comment', { hasText: 'Great boots' }).first().textContent(), attack);
  assert.equal(await page.locator('.review-list img[src="x"]').count(), 0, 'no markup from a review');

  await page.goto('/account');
  await accessible(page, 'account');
  await shoot(page, 'account');
  assert.match(await page.locator('main').textContent(), new RegExp(email));
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a declined card says so and keeps the cart', async () => {
  const { page, context } = await visitor(browser);
  await signUp(page);
  await openProduct(page, 'lamp');
  await addVariants(page, 1);
  await page.goto('/checkout');
  await fillAddress(page);
  await page.getByLabel('Test card — declined').check();
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByRole('alert').filter({ hasText: 'declined' }).waitFor();
  await page.goto('/cart');
  await page.locator('table.cart tbody tr').first().waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('the keyboard alone signs in, picks a variant and adds it to the cart', async () => {
  const { page, context } = await visitor(browser);
  const email = await signUp(page);
  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();

  await page.goto('/sign-in');
  await page.keyboard.press('Tab'); // skip link
  await page.getByLabel('Email').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type('a long enough passphrase');
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();

  await openProduct(page, 'lamp');
  await page.locator('.option input[type=radio]:checked').first().focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  const add = page.getByRole('button', { name: 'Add to cart' });
  await add.focus();
  await page.keyboard.press('Enter');
  await page.getByText('Added to your cart.').waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a shopper turns on two-step sign-in and signs in with a code', async () => {
  const { page, context } = await visitor(browser);
  const email = await signUp(page);
  await page.goto('/account/security');
  await page.getByLabel('Current password').fill('a long enough passphrase');
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  const key = (await page.locator('code.secret').textContent()).trim();
  await page.getByLabel('The code your app shows').fill(totp(key));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('Two-step sign-in is on.').waitFor();
  assert.equal(await page.locator('.codes li').count(), 10, 'ten recovery codes, shown once');
  const recovery = (await page.locator('.codes li').first().textContent()).trim();
  assert.deepEqual(await accessibilityProblems(page), [], 'axe on security');

  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long enough passphrase');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
  // The code of this step was spent turning it on: a recovery code signs in instead.
  await page.getByLabel(/Code from your authenticator app/).fill(recovery);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});
