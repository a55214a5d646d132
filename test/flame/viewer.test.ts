// The viewer in a real browser: Debian's Chromium driven headless by playwright-core. The
// SVG and the HTML event page are served from a loopback HTTP server; the test checks that
// the graph renders, a click zooms, Ctrl-F + typing highlights exactly the matching frames
// and shows the matched percent, the page loads nothing else, and saves screenshots.
// Chromium is a hard requirement here (scripts/setup.sh installs it): without it this
// test fails, it does not skip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { flameHeaders, renderEventFlame, type FlameFormat } from '../../src/flame/index.js';
import { cpusysData, eventDoc, fixtureFolded, fixtureTotal } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
// The launch flags this closed network needs (the machine notes for the node kind).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const doc = eventDoc(cpusysData());
const pages: Record<string, { format: FlameFormat; body: string }> = {
  '/flame.svg': { format: 'svg', body: renderEventFlame(doc, 'svg') as string },
  '/flame.html': { format: 'html', body: renderEventFlame(doc, 'html') as string },
};

interface FrameInfo { index: number; label: string; width: number; hidden: boolean; highlighted: boolean }

/** Every frame's label (from its <title>), rect width, hidden and highlighted state, read in the page. */
function readFrames(page: Page): Promise<FrameInfo[]> {
  return page.$$eval('g.f', (gs) => gs.map((g, index) => ({
    index,
    label: (g.querySelector('title')?.textContent ?? '').replace(/ \(\d+ samples?, [0-9.]+%\)$/, ''),
    width: Number(g.querySelector('rect')?.getAttribute('width')),
    hidden: g.ownerDocument.defaultView?.getComputedStyle(g).display === 'none',
    highlighted: g.classList.contains('m'),
  })));
}

/** The expected matched percent: samples of stacks with a frame containing `needle` (case-insensitive). */
function expectedPercent(needle: string): string {
  const n = needle.toLowerCase();
  const hit = fixtureFolded().filter((s) => s.stack.some((f) => f.toLowerCase().includes(n))).reduce((a, s) => a + s.count, 0);
  return ((100 * hit) / fixtureTotal()).toFixed(2);
}

describe('flame viewer in Chromium', () => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let base = '';
  const shotDir = mkdtempSync(join(tmpdir(), 'autotracer-flame-'));
  const requested: string[] = [];
  const pageErrors: string[] = [];

  const missing = `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; scripts/setup.sh does it)`;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/favicon.ico') {
        // The browser's own request for a bare SVG document, not the page's: answer it quietly.
        res.writeHead(204).end();
        return;
      }
      const page = pages[req.url ?? ''];
      if (page === undefined) {
        res.writeHead(404).end();
        return;
      }
      // The agent's own headers, CSP included: the page must work under them.
      res.writeHead(200, flameHeaders(page.format, page.body)).end(page.body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Without Chromium every test below fails (counted as failures, not skipped or cancelled).
    if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  });

  it('Debian chromium is installed', () => {
    assert.ok(existsSync(CHROMIUM), missing);
    assert.ok(browser?.isConnected(), 'chromium did not start');
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
      // Screenshots are logged and kept for a person to look at only when asked to.
      if (process.env.FLAME_KEEP_SCREENSHOTS === undefined) rmSync(shotDir, { recursive: true, force: true });
    }
  });

  async function open(path: string): Promise<Page> {
    assert.ok(browser !== undefined, missing);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (r) => { if (!r.url().endsWith('/favicon.ico')) requested.push(r.url()); });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    page.on('dialog', (d) => { pageErrors.push(`dialog: ${d.message()}`); void d.dismiss(); });
    const response = await page.goto(`${base}${path}`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector('svg.flame[data-ready="1"]', { state: 'attached', timeout: 15_000 });
    return page;
  }

  /** fullPage only for HTML: on a bare SVG document Playwright cannot measure the page and times out. */
  async function screenshot(page: Page, name: string, fullPage: boolean): Promise<void> {
    const path = join(shotDir, name);
    await page.screenshot({ path, fullPage });
    const png = readFileSync(path);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.ok(statSync(path).size > 10_000, `screenshot ${path} is only ${statSync(path).size} bytes`);
    console.log(`screenshot: ${path} (${statSync(path).size} bytes)`);
  }

  it('the SVG renders, a click zooms, reset restores, search highlights and shows the percent', async () => {
    const page = await open('/flame.svg');
    const initial = await readFrames(page);
    assert.ok(initial.length > 500, `${initial.length} frames`);
    assert.equal(await page.locator('g.f rect').count(), initial.length);
    // Drawn, not just in the DOM: the root spans the graph on screen.
    const rootBox = await page.locator('g.f rect').first().boundingBox();
    assert.ok(rootBox !== null && rootBox.width > 1100, `root box ${JSON.stringify(rootBox)}`);

    // Zoom into ExecutorRun (postgres): it becomes full width, its children grow, other processes hide.
    const target = initial.find((f) => f.label === 'ExecutorRun')!;
    assert.ok(target.width < 300, `ExecutorRun starts at ${target.width} px`);
    const childBefore = initial.find((f) => f.label === 'standard_ExecutorRun')!;
    await page.locator('g.f').nth(target.index).locator('rect').click();
    const zoomed = await readFrames(page);
    assert.ok(Math.abs(zoomed[target.index]!.width - 1180) < 1, `zoomed width ${zoomed[target.index]!.width}`);
    assert.ok(zoomed[childBefore.index]!.width > childBefore.width * 2, 'a child grows with the zoom');
    assert.equal(zoomed.find((f) => f.label === 'nginx')!.hidden, true, 'other processes are hidden');
    assert.equal(zoomed.find((f) => f.label === 'postgres')!.hidden, false, 'ancestors stay');
    assert.equal(await page.getAttribute('svg.flame', 'data-zoomed'), 'ExecutorRun');
    assert.equal(await page.locator(`g.f >> nth=${target.index} >> text`).textContent(), 'ExecutorRun', 'the label now fits');
    assert.ok(await page.locator('text.reset').isVisible());
    await screenshot(page, 'flame-zoomed.png', false);

    await page.locator('text.reset').click();
    const reset = await readFrames(page);
    assert.deepEqual(reset.map((f) => [f.width, f.hidden]), initial.map((f) => [f.width, f.hidden]));
    assert.equal(await page.locator('text.reset').isVisible(), false);

    // Ctrl-F focuses the search box; typing highlights exactly the frames whose label matches.
    await page.locator('text.title').click();
    await page.keyboard.press('Control+f');
    assert.equal(await page.locator('input.search').evaluate((el) => el.ownerDocument.activeElement === el), true, 'Ctrl-F focuses the search box');
    await page.keyboard.type('vfs_');
    const searched = await readFrames(page);
    const expected = searched.filter((f) => f.index > 0 && f.label.toLowerCase().includes('vfs_'));
    assert.ok(expected.length >= 5, `${expected.length} vfs_ frames`);
    assert.deepEqual(searched.filter((f) => f.highlighted).map((f) => f.index), expected.map((f) => f.index));
    assert.equal(await page.locator('text.matched').textContent(), `Matched: ${expectedPercent('vfs_')}% (${expected.length} frames)`);
    const fill = await page.locator('g.f.m rect').first().evaluate((r) => r.ownerDocument.defaultView?.getComputedStyle(r).fill);
    assert.equal(fill, 'rgb(230, 0, 230)');
    await screenshot(page, 'flame-search.png', false);

    // A hostile label is found as text; a /regex/ works; Escape clears.
    await page.fill('input.search', 'a & b < c');
    assert.equal(await page.locator('g.f.m').count(), (await readFrames(page)).filter((f) => f.label.includes('a & b < c')).length);
    assert.ok((await page.locator('g.f.m').count()) >= 1);
    await page.fill('input.search', '/^ngx_http_/');
    const rx = (await readFrames(page)).filter((f) => /^ngx_http_/.test(f.label));
    assert.ok(rx.length >= 3);
    assert.equal(await page.locator('g.f.m').count(), rx.length);
    await page.locator('input.search').press('Escape');
    assert.equal(await page.locator('g.f.m').count(), 0);
    assert.equal(await page.locator('text.matched').textContent(), '');
    await page.close();
  });

  it('the HTML event page shows the fields as text and the same working graph', async () => {
    const page = await open('/flame.html');
    assert.equal(await page.title(), 'cpusys event 0000019ac5f3a2b1-000001');
    const cell = (key: string) => page.locator(`tr:has(th:text-is("${key}")) td`).first().textContent();
    assert.equal(await cell('tracer_id'), '0000019ac5f3a2b1-000001');
    assert.equal(await cell('note'), '<script>alert("x")</script> & friends', 'markup in a field is shown as text');
    assert.equal(await cell('folded'), '420 stacks (drawn below)');
    const frames = await readFrames(page);
    assert.ok(frames.length > 500);
    const target = frames.find((f) => f.label === 'nginx')!;
    await page.locator('g.f').nth(target.index).locator('rect').click();
    assert.ok(Math.abs((await readFrames(page))[target.index]!.width - 1180) < 1);
    await page.fill('input.search', 'schedule');
    const hits = (await readFrames(page)).filter((f) => f.index > 0 && f.label.toLowerCase().includes('schedule'));
    assert.equal(await page.locator('g.f.m').count(), hits.length);
    assert.match((await page.locator('text.matched').textContent()) ?? '', /^Matched: \d+\.\d\d% \(\d+ frames?\)$/);
    await screenshot(page, 'flame-event-page.png', true);
    await page.close();
  });

  it('loaded nothing but the two pages, without script errors', () => {
    assert.ok(browser !== undefined, missing);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual([...new Set(requested)].sort(), [`${base}/flame.html`, `${base}/flame.svg`]);
  });
});
