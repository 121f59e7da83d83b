// Browser test of the query editor: Debian's Chromium driven by playwright-core renders
// the harness page (tests/browser/harness.tsx, built by `npm run build:harness`) against
// the real plugin backend and a fake Hydra (pkg/e2e/editorserver). A user picks a project,
// jobset, job and product, types one path, and sees the value it selects; the screenshot
// goes to docs/query-editor.png for the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT = process.env.SCREENSHOT_PATH || 'docs/query-editor.png';
// Flags for a closed network and a root user, as the machine notes prescribe.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts the harness server and resolves with its URL; it stops when its stdin closes. */
function startServer() {
  const proc = spawn('go', ['run', './pkg/e2e/editorserver', '-static', 'tests/browser/dist'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`editorserver exited with ${code} before serving`)));
  });
  return { proc, url };
}

/** Opens a picker, waits for the backend's list, and clicks the option named value. */
async function pick(page, testId, value) {
  const field = page.getByTestId(testId);
  await field.click();
  const option = page.getByRole('option', { name: new RegExp(`^${value.replace(/[.*]/g, '\\$&')}\\b`) }).first();
  await option.waitFor({ timeout: 15_000 });
  await option.click();
  await page.getByTestId(testId).getByText(value, { exact: true }).waitFor();
}

test('from an empty panel to an artifact series by picking and typing one path', async (t) => {
  if (!existsSync(CHROMIUM)) {
    const why = `Chromium is not at ${CHROMIUM}: install Debian's chromium package (scripts/test does as root)`;
    if (process.env.CI === 'true') {
      assert.fail(why);
    }
    t.skip(why);
    return;
  }
  const server = startServer();
  t.after(() => server.proc.stdin.end());
  const url = await server.url;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1250, height: 800 } });
  const failures = [];
  page.on('pageerror', (err) => failures.push(err.message));
  await page.goto(url);

  await pick(page, 'nixci-project', 'bench');
  await pick(page, 'nixci-jobset', 'main');
  await pick(page, 'nixci-job', 'bench');
  // choosing a job fills in its first product; the user keeps it
  await page.getByTestId('nixci-product').getByText('bench.json', { exact: true }).waitFor({ timeout: 15_000 });

  // before a path is typed, the sample's number paths are offered to click
  const suggestions = page.getByTestId('nixci-path-suggestions');
  await suggestions.getByText('results.throughput').waitFor({ timeout: 15_000 });

  const path = page.getByTestId('nixci-path');
  await path.click();
  await path.pressSequentially('results.throughput');
  const values = page.getByTestId('nixci-preview-values');
  await values.getByText('results.throughput').waitFor({ timeout: 15_000 });
  assert.match(await values.innerText(), /results\.throughput[\s\S]*\d+(\.\d+)?/);
  await path.press('Enter');

  const query = JSON.parse(await page.getByTestId('harness-query').innerText());
  assert.equal(query.queryType, 'artifact');
  assert.deepEqual(
    { project: query.project, jobset: query.jobset, job: query.job, product: query.product, path: query.path },
    { project: 'bench', jobset: 'main', job: 'bench', product: 'bench.json', path: 'results.throughput' }
  );
  assert.ok(Number(await page.getByTestId('harness-runs').innerText()) > 0, 'the query never ran');

  // a path that selects nothing says so instead of showing an empty plot later
  await path.fill('results.nothing');
  await page.getByTestId('nixci-preview-nomatch').waitFor({ timeout: 15_000 });
  await path.fill('results.throughput');
  await values.getByText('results.throughput').waitFor({ timeout: 15_000 });

  assert.deepEqual(failures, [], 'the page threw');
  // the screenshot shows the sample's JSON beside the value the path selects
  await page.getByText(/^JSON of build/).click();
  await page.getByTestId('nixci-preview-json').waitFor();
  mkdirSync('docs', { recursive: true });
  await page.getByTestId('harness-editor').screenshot({ path: SCREENSHOT });
});
