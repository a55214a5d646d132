// The other formats of renderEventFlame: folded text, speedscope JSON, pprof (decoded back
// with pprof-format), the HTML event page, and the content types and file extensions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { parseFolded } from '../../src/capture/flamedata.js';
import { contentTypeOf, FLAME_FORMATS, FlameError, fileExtensionOf, foldedOfEvent, isFlameFormat, renderEventFlame, type FlameFormat, type SpeedscopeFile } from '../../src/flame/index.js';
import { MAX_FIELD_CHARS } from '../../src/flame/html.js';
import { cpusysData, eventDoc, fixtureFolded, fixtureTotal } from './support.js';

const doc = eventDoc(cpusysData(), { container_id: 'c0ffee00112233445566', container_hostname: 'web-1' });
const heavy = (): { stack: string[]; count: number } => fixtureFolded().reduce((a, b) => (b.count > a.count ? b : a));

describe('flame exports', () => {
  it('folded: the event stacks as flamegraph.pl lines', () => {
    const text = renderEventFlame(doc, 'folded') as string;
    assert.deepEqual(parseFolded(text), foldedOfEvent(doc));
    // Samples without any frame cannot be an empty folded line: they get a label.
    const rootOnly = eventDoc({ flamedata: [{ level: 0, value: 4, self: 4, label: 'all' }] });
    assert.equal(renderEventFlame(rootOnly, 'folded'), '[no frames] 4\n');
  });

  it('speedscope: schema, one sampled profile, weights summing to the samples', () => {
    const file = JSON.parse(renderEventFlame(doc, 'speedscope') as string) as SpeedscopeFile;
    assert.equal(file.$schema, 'https://www.speedscope.app/file-format-schema.json');
    assert.equal(file.exporter, 'autotracer');
    assert.equal(file.activeProfileIndex, 0);
    assert.equal(file.profiles.length, 1);
    const p = file.profiles[0]!;
    assert.equal(p.type, 'sampled');
    assert.equal(p.unit, 'none');
    assert.equal(p.startValue, 0);
    assert.equal(p.endValue, fixtureTotal());
    assert.match(p.name, /^cpusys 2026-11-27T12:00:00.000Z \(0000019ac5f3a2b1-000001\)$/);
    assert.equal(p.samples.length, p.weights.length);
    assert.equal(p.weights.reduce((a, b) => a + b, 0), fixtureTotal());
    const names = file.shared.frames.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, 'frames are shared, not repeated');
    for (const s of p.samples) for (const i of s) assert.ok(Number.isInteger(i) && i >= 0 && i < names.length);
    // A stack reads back outermost first, with its weight.
    const h = heavy();
    const i = p.samples.findIndex((s) => s.map((f) => names[f]).join(';') === h.stack.join(';'));
    assert.ok(i >= 0);
    assert.equal(p.weights[i], h.count);
    assert.ok(names.includes(`a & b < c > d 'quoted'`), 'labels are plain JSON strings');
  });

  it('pprof: gzipped profile.proto with samples/count and cpu/nanoseconds at the 99 Hz period', () => {
    const buf = renderEventFlame(doc, 'pprof');
    assert.ok(Buffer.isBuffer(buf));
    assert.deepEqual([...buf.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    const p = Profile.decode(gunzipSync(buf));
    const str = (i: number | bigint): string => p.stringTable.strings[Number(i)]!;
    assert.equal(str(0), '');
    assert.deepEqual(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`), ['samples/count', 'cpu/nanoseconds']);
    assert.equal(`${str(p.periodType!.type)}/${str(p.periodType!.unit)}`, 'cpu/nanoseconds');
    const period = Math.round(1e9 / 99);
    assert.equal(Number(p.period), period);
    assert.equal(str(p.defaultSampleType), 'cpu');
    assert.equal(BigInt(p.timeNanos), BigInt(Date.parse('2026-11-27T11:59:50.000Z')) * 1_000_000n);
    assert.equal(BigInt(p.durationNanos), 10_000_000_000n);
    assert.ok(p.comment.map(str).includes('autotracer cpusys event 0000019ac5f3a2b1-000001'));
    assert.ok(p.comment.map(str).includes('container c0ffee00112233445566'));

    const total = p.sample.reduce((n, s) => n + Number(s.value[0]), 0);
    assert.equal(total, fixtureTotal());
    for (const s of p.sample) assert.equal(Number(s.value[1]), Number(s.value[0]) * period);
    assert.equal(p.sample.length, fixtureFolded().length);

    const fnById = new Map(p.function.map((f) => [Number(f.id), f]));
    const locById = new Map(p.location.map((l) => [Number(l.id), l]));
    const nameOfLoc = (id: number | bigint): string => str(fnById.get(Number(locById.get(Number(id))!.line[0]!.functionId))!.name);
    // Leaf first in the proto: reversed, it is the folded stack.
    const h = heavy();
    const match = p.sample.filter((s) => s.locationId.map(nameOfLoc).reverse().join(';') === h.stack.join(';'));
    assert.equal(match.length, 1);
    assert.equal(Number(match[0]!.value[0]), h.count);
    // One function per distinct label; kernel functions carry the "[kernel]" file name.
    const labels = new Set(fixtureFolded().flatMap((s) => s.stack));
    assert.equal(p.function.length, labels.size);
    for (const f of p.function) assert.equal(str(f.filename), str(f.name).endsWith('_[k]') ? '[kernel]' : '');
    for (const id of [...fnById.keys(), ...locById.keys()]) assert.ok(id >= 1, 'ids start at 1');
  });

  it('pprof without a recorded frequency: samples/count only', () => {
    const data = { folded: 'p;a;b 3\np;a 2\n' };
    const p = Profile.decode(gunzipSync(renderEventFlame(eventDoc(data), 'pprof') as Buffer));
    const str = (i: number | bigint): string => p.stringTable.strings[Number(i)]!;
    assert.deepEqual(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`), ['samples/count']);
    assert.equal(p.periodType, undefined);
    assert.deepEqual(p.sample.map((s) => Number(s.value[0])).sort(), [2, 3]);
  });

  it('html: event fields, tracer_data without the profile blobs, the graph inline, all escaped', () => {
    const longText = 'y'.repeat(MAX_FIELD_CHARS + 500);
    const html = renderEventFlame(eventDoc({ ...cpusysData(), long: longText }, { container_id: 'c0ffee00112233445566' }), 'html') as string;
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.match(html, /<title>cpusys event 0000019ac5f3a2b1-000001<\/title>/);
    for (const [k, v] of [['tracer_id', '0000019ac5f3a2b1-000001'], ['hostname', 'host-1'], ['container_id', 'c0ffee00112233445566'], ['tracer_type', 'autotracing'], ['system_percent', '62']]) {
      assert.match(html, new RegExp(`<tr><th>${k}</th><td>${v}</td></tr>`), k);
    }
    assert.match(html, /<tr><th>folded<\/th><td class="empty">420 stacks \(drawn below\)<\/td><\/tr>/);
    assert.match(html, /<tr><th>flamedata<\/th><td class="empty">0 frames \(drawn below\)<\/td><\/tr>/);
    assert.ok(!html.includes(';__libc_start_main;'), 'the folded text itself is not on the page');
    assert.ok(!html.includes('<script>alert'), 'a field is text, never markup');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends'));
    assert.ok(html.includes('app&lt;server&gt;&amp;\\&quot;x\\&quot;'), 'nested values are escaped JSON');
    assert.ok(html.includes('\n  &quot;frequency&quot;: 99,\n'), 'nested values keep their JSON indentation');
    assert.ok(html.includes(`… (500 more characters)`));
    assert.ok(!html.includes('y'.repeat(MAX_FIELD_CHARS + 1)));
    // The SVG inline: no XML declaration, its script and search box present, nothing fetched.
    assert.ok(!html.includes('<?xml'));
    assert.equal(html.match(/<svg /g)?.length, 1);
    assert.match(html, /<script type="text\/ecmascript"><!\[CDATA\[/);
    assert.deepEqual(html.match(/\s(href|src)=("[^"]*")?/g), [' href="data:,"'], 'only the inline empty icon');
  });

  it('every format of an event without a profile throws FLAME_NO_PROFILE', () => {
    for (const format of FLAME_FORMATS) {
      assert.throws(() => renderEventFlame(eventDoc({ reason: 'manual' }, { tracer_name: 'memburst' }), format), (err: unknown) => err instanceof FlameError && err.code === 'FLAME_NO_PROFILE' && /memburst/.test(err.message));
    }
  });

  it('content types and file extensions', () => {
    assert.deepEqual([...FLAME_FORMATS], ['svg', 'html', 'folded', 'speedscope', 'pprof']);
    assert.deepEqual(FLAME_FORMATS.map(contentTypeOf), ['image/svg+xml; charset=utf-8', 'text/html; charset=utf-8', 'text/plain; charset=utf-8', 'application/json; charset=utf-8', 'application/octet-stream']);
    assert.deepEqual(FLAME_FORMATS.map(fileExtensionOf), ['svg', 'html', 'folded', 'speedscope.json', 'pb.gz']);
    for (const format of FLAME_FORMATS) {
      const out = renderEventFlame(doc, format);
      assert.equal(typeof out === 'string', format !== 'pprof', format);
    }
    assert.ok(FLAME_FORMATS.every(isFlameFormat));
    assert.equal(isFlameFormat('png'), false);
    // Untyped callers (the CLI parsing argv) get a coded error, not undefined.
    const png = 'png' as FlameFormat;
    for (const fn of [() => renderEventFlame(doc, png), () => contentTypeOf(png), () => fileExtensionOf(png)]) {
      assert.throws(fn, (err: unknown) => err instanceof FlameError && err.code === 'FLAME_BAD_FORMAT' && /"png"; expected one of svg, html, folded, speedscope, pprof/.test(err.message));
    }
  });
});
