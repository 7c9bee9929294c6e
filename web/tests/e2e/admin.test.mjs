// Staff in the admin panel: a vendor creates a product, sets its stock, sees its low-stock
// alert, and cannot edit another vendor's product; an admin ships an order and sees the
// sale on the dashboard; an admin edits the category tree, a role, and reads the message
// log and a template's preview (axe: no serious or critical violation).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN, account, paidOrder } from './api.mjs';
import { accessibilityProblems, launch, shoot, unique, visitor } from './browser.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function signIn(page, { email, password }) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
}

test('a vendor creates a product, sets its stock, sees the alert, and cannot edit another vendor’s', async () => {
  const vendor = await account('vendor');
  const { page, context } = await visitor(browser);
  await signIn(page, vendor);
  await page.goto('/admin/products/new');
  const sku = unique('MUG').toUpperCase();
  await page.getByLabel('Name', { exact: true }).fill('Stoneware Mug');
  await page.getByLabel('Description', { exact: true }).fill('Thrown by hand, glazed in sea green.');
  await page.getByLabel('Status').selectOption('active');
  await page.getByLabel('Tags (comma-separated)').fill('mug, kitchen');
  await page.getByLabel('SKU of variant 1').fill(sku);
  await page.getByLabel('Price of variant 1').fill('24.50');
  await page.getByLabel('Options of variant 1 (e.g. size=M)').fill('size=large');
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.getByRole('heading', { name: 'Edit Stoneware Mug' }).waitFor();
  await shoot(page, 'admin-product');

  await page.getByRole('link', { name: sku }).click();
  await page.getByLabel('Units on hand').fill('3');
  await page.getByLabel('Low-stock alert at').fill('5');
  await page.getByRole('button', { name: 'Save stock' }).click();
  await page.getByText('Stock saved.').waitFor();
  const alert = page.locator('.low-stock li', { hasText: sku });
  await alert.waitFor();
  assert.match(await alert.textContent(), /3 available \(alert at 5\)/);
  assert.deepEqual(await accessibilityProblems(page), [], 'axe on inventory');
  await shoot(page, 'admin-inventory');

  // The demo catalog is another vendor's.
  const listed = await (await fetch(`${page.url().split('/admin')[0]}/api/v1/products?per_page=20`)).json();
  const theirs = listed.items.find((p) => p.vendor_id !== vendor.id);
  await page.goto(`/admin/products/${theirs.id}`);
  await page.getByText('You can edit only your own products.').waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('an admin ships an order and sees the sale on the dashboard', async () => {
  const orderId = await paidOrder();
  const { page, context } = await visitor(browser);
  await signIn(page, ADMIN);
  await page.goto('/admin/orders?status=paid');
  await page.getByRole('link', { name: `#${orderId.slice(-8)}` }).click();
  await page.getByLabel('Carrier').fill('DHL');
  await page.getByLabel('Tracking number').fill('JJD000390007');
  await page.getByRole('button', { name: 'Mark shipped' }).click();
  await page.getByText('Shipped with DHL, tracking JJD000390007').waitFor();
  assert.match(await page.locator('main').textContent(), /Status: Shipped/);
  await shoot(page, 'admin-order');

  // The sale reaches the figures (analytics follows the order's events).
  let orders = 0;
  for (let i = 0; i < 20 && orders === 0; i++) {
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const tile = page.locator('.tile', { hasText: 'Orders' }).first();
    if (await tile.count()) orders = Number((await tile.locator('.tile__value').textContent()).trim());
    if (orders === 0) await page.waitForTimeout(500);
  }
  assert.ok(orders >= 1, 'the dashboard counts the sale');
  assert.deepEqual(await accessibilityProblems(page), [], 'axe on the dashboard');
  await shoot(page, 'admin-dashboard');
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('an admin edits the category tree, changes a role, and reads the message log', async () => {
  const customer = await account('customer');
  const { page, context } = await visitor(browser);
  await signIn(page, ADMIN);
  await page.goto('/admin/categories');
  await page.getByRole('button', { name: 'New category' }).click();
  const name = `Teaware ${unique('c').slice(-6)}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Parent').selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Create category' }).click();
  await page.getByRole('navigation', { name: 'Category tree' }).getByRole('button', { name }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), [], 'axe on categories');
  await shoot(page, 'admin-categories');

  await page.goto('/admin/users');
  const role = page.getByLabel(`Role of ${customer.email}`);
  await role.selectOption('vendor');
  await page.waitForFunction((email) => {
    const select = [...document.querySelectorAll('select')].find((s) => s.getAttribute('id') && document.querySelector(`label[for="${s.id}"]`)?.textContent?.includes(email));
    return select?.value === 'vendor' && !select.disabled;
  }, customer.email);
  assert.deepEqual(await accessibilityProblems(page), [], 'axe on users');

  await page.goto('/admin/notifications');
  await page.locator('table.orders tbody tr').first().waitFor();
  await page.goto('/admin/templates');
  await page.getByRole('button', { name: 'welcome' }).click();
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('region', { name: 'Preview' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), [], 'axe on templates');
  assert.deepEqual(page.problems, []);
  await context.close();
});
