import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { testDatabases } from '../../common/test/databases';
import { launchChromiumOrSkip } from './support/chromium';
import { startSystem, type TestSystem } from './support/system';

// One browser run is enough: the page does not depend on the database.
describe('Swagger UI in a real browser', function () {
  let system: TestSystem;
  let browser: Browser;
  before(async function () {
    browser = await launchChromiumOrSkip(this);
    system = await startSystem(testDatabases()[0]());
  });
  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('renders every operation of the contract, with no CSP violation or script error', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));

    const response = await page.goto(`${system.gateway.url}/docs`);
    expect(response?.status()).to.equal(200);
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    expect(await page.locator('.info .title').innerText()).to.match(/^Aletheia API/);
    const operations = await page.locator('.opblock').count();
    const contract = (await system.request().get('/openapi.json')).body as { paths: Record<string, object> };
    const methods = new Set(['get', 'put', 'post', 'delete', 'patch']);
    const documented = Object.values(contract.paths).flatMap((item) =>
      Object.keys(item).filter((key) => methods.has(key)),
    );
    expect(documented.length).to.be.at.least(23);
    expect(operations).to.equal(documented.length);
    expect(await page.locator('.opblock-summary-path', { hasText: '/orders/{orderId}/status' }).count()).to.equal(1);

    const screenshot = path.join(mkdtempSync(path.join(os.tmpdir(), 'aletheia-docs-')), 'docs.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`      screenshot: ${screenshot}`);
    expect(problems).to.deep.equal([]);
  });

  it('runs "Try it out" with the contract examples: a purchase is created and the list shows it (no filter pre-filled)', async () => {
    const user = await system.registerAndLogin();
    const page = await browser.newPage();
    await page.goto(`${system.gateway.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    await page.click('button.authorize');
    const accessToken = page.locator('.auth-container', { hasText: 'accessToken' });
    await accessToken.locator('input').fill(user.accessToken);
    await accessToken.locator('button.authorize').click();
    await page.click('button.btn-done');

    /** Opens an operation, presses "Try it out" then "Execute", and returns the answer's status and the URL called. */
    const tryOut = async (id: string) => {
      const operation = page.locator(`#operations-${id}`);
      await operation.locator('.opblock-summary').click();
      await operation.locator('button.try-out__btn').click();
      const filled = await operation
        .locator('.parameters input')
        .evaluateAll((inputs) =>
          inputs.map((input) => [input.getAttribute('placeholder'), (input as unknown as { value: string }).value]),
        );
      await operation.locator('button.execute').click();
      const status = operation.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor({ timeout: 15_000 });
      return {
        filled,
        status: (await status.innerText()).trim(),
        url: await operation.locator('.request-url pre').innerText(),
      };
    };

    const created = await tryOut('orders-createPurchaseOrder');
    expect(created.status).to.equal('201');
    const listed = await tryOut('orders-listOrders');
    expect(listed.filled).to.deep.include(['date', '']);
    expect(listed.url).to.match(/\/orders\?limit=10&offset=0$/);
    expect(listed.status).to.equal('200');
    const body = await page
      .locator('#operations-orders-listOrders .live-responses-table .response-col_description pre')
      .first()
      .innerText();
    expect((JSON.parse(body) as { page: { total: number } }).page.total).to.equal(1);
  });
});
