// The SVG renderer: structure, proportional layout, colour kinds, escaping of hostile
// labels, and the size cap for very large profiles. The browser behaviour (zoom, search)
// is in viewer.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FoldedStack } from '../../src/capture/flamedata.js';
import { renderEventFlame, renderFlameSvg } from '../../src/flame/index.js';
import { fitLabel } from '../../src/flame/svg.js';
import { cpusysData, eventDoc, fixtureFolded, fixtureTotal, unescapeXml } from './support.js';

interface ParsedFrame { kind: string; s: number; v: number; d: number; title: string; x: number; width: number; text: string }

/** The frames of a rendered SVG, read back with a regex over our own fixed markup. */
function framesOf(svg: string): ParsedFrame[] {
  const re = /<g class="f (\w+)" data-s="(\d+)" data-v="(\d+)" data-d="(\d+)"><title>([^<]*)<\/title><rect x="([\d.]+)" y="\d+" width="([\d.]+)"[^>]*\/><text [^>]*>([^<]*)<\/text><\/g>/g;
  return [...svg.matchAll(re)].map((m) => ({ kind: m[1]!, s: +m[2]!, v: +m[3]!, d: +m[4]!, title: unescapeXml(m[5]!), x: +m[6]!, width: +m[7]!, text: unescapeXml(m[8]!) }));
}

describe('flame SVG', () => {
  const svg = renderEventFlame(eventDoc(cpusysData()), 'svg') as string;
  const frames = framesOf(svg);

  it('is one self-contained SVG document with a title naming tracer, time and samples', () => {
    assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.match(svg, /<style>[^<]+<\/style>/);
    assert.match(svg, /<script type="text\/ecmascript"><!\[CDATA\[[\s\S]+\]\]><\/script>/);
    // Nothing to fetch: no href/src, and the only URLs are the two XML namespaces.
    assert.doesNotMatch(svg, /\s(href|src)=/);
    assert.deepEqual([...new Set(svg.match(/https?:\/\/[^"\s]+/g))].sort(), ['http://www.w3.org/1999/xhtml', 'http://www.w3.org/2000/svg']);
    assert.match(svg, new RegExp(`<text class="title"[^>]*>cpusys · 2026-11-27T12:00:00.000Z · ${fixtureTotal()} samples</text>`));
    assert.match(svg, /99 Hz · 10\.0 s · event 0000019ac5f3a2b1-000001/);
    assert.match(svg, /<input xmlns="http:\/\/www.w3.org\/1999\/xhtml" class="search"/);
  });

  it('draws every frame of the fixture, widths proportional to samples', () => {
    const total = fixtureTotal();
    assert.equal(frames.length, Number(/data-frames="(\d+)"/.exec(svg)![1]));
    assert.ok(frames.length > 500, `only ${frames.length} frames`);
    const root = frames[0]!;
    assert.equal(root.title, `all (${total} samples, 100%)`);
    assert.equal(root.width, 1180);
    for (const f of frames) {
      assert.ok(Math.abs(f.width - (1180 * f.v) / total) < 0.01, `${f.title}: width ${f.width}`);
      assert.ok(Math.abs(f.x - (10 + (1180 * f.s) / total)) < 0.01, `${f.title}: x ${f.x}`);
    }
    // Children sit inside their parent: pre-order, so the nearest shallower frame before is the parent.
    for (const [i, f] of frames.entries()) {
      if (f.d === 0) continue;
      const parent = frames.slice(0, i).reverse().find((p) => p.d === f.d - 1)!;
      assert.ok(f.s >= parent.s && f.s + f.v <= parent.s + parent.v, `${f.title} outside ${parent.title}`);
    }
    const nginx = frames.find((f) => f.d === 1 && f.title.startsWith('nginx ('))!;
    const expected = fixtureFolded().filter((s) => s.stack[0] === 'nginx').reduce((n, s) => n + s.count, 0);
    assert.equal(nginx.v, expected);
    assert.match(nginx.title, new RegExp(`^nginx \\(${expected} samples, ${((100 * expected) / total).toFixed(2).replace(/\.?0+$/, '')}%\\)$`));
  });

  it('colours by kind: kernel _[k], process, user, other', () => {
    const kindOf = (label: string) => frames.find((f) => f.title.startsWith(`${label} (`))?.kind;
    assert.equal(kindOf('all'), 'other');
    assert.equal(kindOf('postgres'), 'process');
    assert.equal(kindOf('ExecutorRun'), 'user');
    assert.equal(kindOf('vfs_read_[k]'), 'kernel');
    assert.equal(kindOf('[unknown]'), 'other');
    for (const f of frames) if (f.title.split(' (')[0]!.endsWith('_[k]')) assert.equal(f.kind, 'kernel', f.title);
    const fill = (kind: string) => new Set([...svg.matchAll(new RegExp(`<g class="f ${kind}"[^>]*><title>[^<]*</title><rect [^>]*fill="rgb\\((\\d+),(\\d+),(\\d+)\\)"`, 'g'))].map((m) => `${m[1]},${m[2]},${m[3]}`));
    // Kernel frames are orange (g >= 150), user frames red (g < 130): two palettes that never meet.
    for (const c of fill('kernel')) assert.ok(Number(c.split(',')[1]) >= 150, `kernel ${c}`);
    for (const c of fill('user')) assert.ok(Number(c.split(',')[1]) < 130, `user ${c}`);
  });

  it('escapes labels with <, &, quotes everywhere', () => {
    const hostile = `a & b < c > d 'quoted'`;
    assert.ok(svg.includes('a &amp; b &lt; c &gt; d &#39;quoted&#39;'));
    assert.ok(!svg.includes(hostile));
    assert.ok(frames.some((f) => f.title.startsWith(`${hostile} (`)));
    assert.ok(frames.some((f) => f.title.startsWith('Handler<"json">::handle(Request const&) (')));
    assert.ok(svg.includes('Handler&lt;&quot;json&quot;&gt;::handle'));
    // Control characters and lone surrogates cannot be carried by XML: replaced, not passed.
    const weird = renderFlameSvg([{ stack: ['p', 'bad\u0001name\ud800', 'x]]>y</script>'], count: 5 }], { title: 't<"' }).svg;
    assert.ok(weird.includes('bad\uFFFDname\uFFFD'));
    assert.ok(weird.includes('x]]&gt;y&lt;/script&gt;'));
    assert.ok(weird.includes('t&lt;&quot;'));
    assert.equal(weird.match(/\]\]>/g)?.length, 1, 'only the script CDATA closes');
  });

  it('truncates text to fit and leaves narrow frames blank', () => {
    assert.equal(fitLabel('ngx_http_core_run_phases', 1000), 'ngx_http_core_run_phases');
    assert.equal(fitLabel('ngx_http_core_run_phases', 60), 'ngx_h..'); // (60 - 6) / (12 × 0.59) = 7 characters
    assert.equal(fitLabel('ngx_http_core_run_phases', 20), '');
    for (const f of frames) {
      const label = f.title.replace(/ \(\d+ samples?, [\d.]+%\)$/, '');
      assert.equal(f.text, fitLabel(label, f.width));
    }
  });

  it('leaves frames narrower than 0.1 px out of very large profiles, counted, and stays small', () => {
    // 60 000 one-sample stacks under one process plus a heavy one: most are far under 0.1 px.
    const big: FoldedStack[] = [{ stack: ['heavy', 'main', 'work'], count: 5_000_000 }];
    for (let i = 0; i < 60_000; i++) big.push({ stack: ['many', `fn_${i}`, `leaf_${i % 7}_[k]`], count: 1 });
    const started = process.hrtime.bigint();
    const { svg: out, tree } = renderFlameSvg(big, { title: 'big' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const drawn = framesOf(out);
    assert.equal(tree.allFrames, 1 + 3 + 1 + 120_000);
    assert.equal(tree.omittedFrames, 120_000, 'every fn_/leaf_ frame is far below 0.1 px');
    assert.equal(drawn.length, 5);
    assert.match(out, /120000 of 120005 frames too narrow to draw \(&lt; 0.1 px\) left out/);
    // The root still counts every sample: the omitted frames' samples are in their parent.
    assert.equal(drawn[0]!.v, 5_060_000);
    for (const f of drawn) assert.ok(f.width >= 0.1, `${f.title} ${f.width}`);
    assert.ok(out.length < 20_000, `${out.length} bytes`);
    assert.ok(ms < 5000, `${ms} ms`);

    // The frame cap: many frames all wider than 0.1 px keep only the widest.
    const wide: FoldedStack[] = [];
    for (let i = 0; i < 3000; i++) wide.push({ stack: ['p', `f${i}`], count: 1 + (i % 10) });
    const capped = renderFlameSvg(wide, { title: 'cap', minWidthPx: 0, maxFrames: 1000 });
    const kept = framesOf(capped.svg);
    assert.ok(kept.length <= 1000 && kept.length > 500, `${kept.length}`);
    const minKept = Math.min(...kept.map((f) => f.v));
    assert.ok(capped.tree.omittedFrames === 3002 - kept.length);
    assert.ok(kept.filter((f) => f.d === 2).every((f) => f.v >= minKept));
    assert.ok(wide.filter((s) => s.count > minKept).length <= kept.length, 'every wider frame is kept');
  });

  it('renders the 420-stack fixture in well under a second and under 400 kB', () => {
    const started = process.hrtime.bigint();
    const out = renderEventFlame(eventDoc(cpusysData()), 'svg') as string;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2000, `${ms} ms`);
    assert.ok(out.length < 400_000, `${out.length} bytes`);
  });
});
