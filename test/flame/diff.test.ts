// Issue 14 item 6: the differential view of an event with a `before` (look-back) profile.
// Pure: shares per frame path, deltas aligned with the laid-out frames, the diff SVG's
// classes and colours. In Chromium: the event page shows the diff graph, the frame that
// grew is red, and the viewer still reads labels (details line) and zooms.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { formatFolded, type FoldedStack } from '../../src/capture/flamedata.js';
import { flameHeaders, frameDeltas, pathShares, renderEventFlame, renderFlameSvg } from '../../src/flame/index.js';
import { layoutFolded } from '../../src/flame/tree.js';
import { eventDoc, cpusysData } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Before: the app mostly idles in epoll; after: it spins in hot_loop.
const beforeFolded: FoldedStack[] = [
  { stack: ['app', 'main', 'epoll_wait_[k]'], count: 90 },
  { stack: ['app', 'main', 'hot_loop'], count: 10 },
];
const afterFolded: FoldedStack[] = [
  { stack: ['app', 'main', 'epoll_wait_[k]'], count: 100 },
  { stack: ['app', 'main', 'hot_loop'], count: 900 },
];

describe('differential flame graph (pure)', () => {
  it('computes each frame path share in percent', () => {
    const { shares, total } = pathShares(beforeFolded);
    assert.equal(total, 100);
    assert.equal(shares.get('app\u0000main\u0000hot_loop'), 10);
    assert.equal(shares.get('app'), 100);
  });

  it('gives each laid-out frame its change in points: hot_loop +80, epoll_wait -80', () => {
    const tree = layoutFolded(afterFolded, { widthPx: 1000, minWidthPx: 0, maxFrames: 100 });
    const deltas = frameDeltas(tree.frames, tree.total, beforeFolded);
    const of = (label: string): number => deltas[tree.frames.findIndex((f) => f.label === label)]!.points;
    assert.equal(Math.round(of('hot_loop')), 80);
    assert.equal(Math.round(of('epoll_wait_[k]')), -80);
    assert.equal(Math.round(of('main')), 0);
  });

  it('marks frames grew/shrank/same in the SVG, with the change in the tooltip', () => {
    const { svg } = renderFlameSvg(afterFolded, { title: 't', diffAgainst: beforeFolded });
    assert.match(svg, /<g class="f user grew"[^>]*data-delta="80\.000"><title>hot_loop \(900 samples, 90%, \+80\.00 points vs before \(10\.00%\)\)<\/title><rect[^>]*fill="rgb\(255,50,50\)"/);
    assert.match(svg, /<g class="f kernel shrank"[^>]*><title>epoll_wait_\[k\]/);
    assert.match(svg, /<g class="f process same"/);
  });

  it('the event page has the diff graph only when the event has a before profile', () => {
    const without = renderEventFlame(eventDoc(cpusysData(formatFolded(afterFolded))), 'html') as string;
    assert.doesNotMatch(without, /Before → after/);
    const data = { ...cpusysData(formatFolded(afterFolded)), before: { from: 'x', to: 'y', frequency: 19, samples: 100, overflow: 0, flamedata: [], folded: formatFolded(beforeFolded) } };
    const html = renderEventFlame(eventDoc(data), 'html') as string;
    assert.match(html, /Before → after/);
    assert.equal(html.match(/<svg /g)?.length, 2, 'the graph and its differential');
    assert.match(html, /<th>before<\/th><td>\{&quot;from&quot;:&quot;x&quot;/);
  });
});

describe('differential view in Chromium', () => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  const data = { ...cpusysData(formatFolded(afterFolded)), before: { from: 'x', to: 'y', frequency: 19, samples: 100, overflow: 0, flamedata: [], folded: formatFolded(beforeFolded) } };
  const body = renderEventFlame(eventDoc(data), 'html') as string;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/flame.html') {
        res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
        return;
      }
      res.writeHead(200, flameHeaders('html', body)).end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  it('draws the grown frame red, shows its change on hover and zooms on click', async () => {
    assert.ok(browser, `${CHROMIUM} is required (scripts/setup.sh installs it)`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/flame.html`);
    await page.waitForSelector('section.diff svg.flame[data-ready="1"]', { state: 'attached', timeout: 15_000 });
    const grew = page.locator('section.diff g.f.grew').first();
    assert.equal(await grew.locator('rect').evaluate((r) => r.ownerDocument.defaultView!.getComputedStyle(r).fill), 'rgb(255, 50, 50)');
    await grew.hover();
    const details = await page.locator('section.diff text.details').textContent();
    assert.match(details ?? '', /hot_loop .*\+80\.00 points vs before/);
    await grew.click();
    // Zoomed on hot_loop: its rect now spans the graph width (1180 px).
    const width = Number(await grew.locator('rect').getAttribute('width'));
    assert.ok(width > 1100, `zoomed width ${width}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
