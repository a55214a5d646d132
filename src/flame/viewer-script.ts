// The flame graph's own JavaScript, inlined in the SVG (no network, no library). It finds its
// <svg> from its own <script> element, so several graphs can sit on one HTML page. Layout
// numbers come from data attributes written by svg.ts: data-s (start, samples), data-v
// (value, samples), data-d (depth); the frame's label is the first part of its <title>.
// Kept as plain ES2017 in a string: it runs in the browser, not in Node.
export const VIEWER_SCRIPT = String.raw`
(function () {
  'use strict';
  var script = document.currentScript;
  var svg = script && script.closest ? script.closest('svg') : document.documentElement;
  if (!svg) return;
  var cfg = JSON.parse(svg.getAttribute('data-flame'));
  var frames = Array.prototype.slice.call(svg.querySelectorAll('g.f'));
  var info = frames.map(function (g) {
    var title = g.querySelector('title').textContent;
    return {
      g: g,
      rect: g.querySelector('rect'),
      text: g.querySelector('text'),
      s: +g.getAttribute('data-s'),
      v: +g.getAttribute('data-v'),
      d: +g.getAttribute('data-d'),
      // The suffix: " (N samples, P%)", in a diff graph " (N samples, P%, +D points vs before (B%))".
      label: title.replace(/ \(\d+ samples?, [0-9.]+%(, .*)?\)$/, ''),
      title: title
    };
  });
  var byG = new Map(info.map(function (f) { return [f.g, f]; }));
  var details = svg.querySelector('.details');
  var matched = svg.querySelector('.matched');
  var reset = svg.querySelector('.reset');
  var input = svg.querySelector('input.search');
  var zoomed = null;

  function fit(label, width) {
    var chars = Math.floor((width - 2 * cfg.textPad) / (cfg.fontSize * cfg.fontWidth));
    if (chars < 3) return '';
    return label.length <= chars ? label : label.slice(0, chars - 2) + '..';
  }
  function place(f, x, w) {
    f.g.classList.remove('h');
    f.rect.setAttribute('x', (cfg.pad + x).toFixed(2));
    f.rect.setAttribute('width', Math.max(w, 0).toFixed(2));
    f.text.setAttribute('x', (cfg.pad + x + cfg.textPad).toFixed(2));
    f.text.textContent = fit(f.label, w);
  }
  function zoom(z) {
    var scale = cfg.width / z.v;
    info.forEach(function (f) {
      f.g.classList.remove('a');
      if (f.d < z.d) {
        if (f.s <= z.s && f.s + f.v >= z.s + z.v) { place(f, 0, cfg.width); if (z.d > 0) f.g.classList.add('a'); }
        else f.g.classList.add('h');
      } else if (f.s >= z.s && f.s + f.v <= z.s + z.v) {
        place(f, (f.s - z.s) * scale, f.v * scale);
      } else {
        f.g.classList.add('h');
      }
    });
    zoomed = z.d === 0 ? null : z;
    reset.classList.toggle('h', zoomed === null);
    svg.setAttribute('data-zoomed', zoomed === null ? '' : z.label);
  }
  function search(term) {
    var test = null;
    var m = /^\/(.+)\/([a-z]*)$/.exec(term);
    if (m) {
      try { var re = new RegExp(m[1], m[2]); test = function (s) { return re.test(s); }; }
      catch (e) { matched.textContent = 'bad regex: ' + e.message; return; }
    } else if (term !== '') {
      var needle = term.toLowerCase();
      test = function (s) { return s.toLowerCase().indexOf(needle) >= 0; };
    }
    var spans = [];
    var count = 0;
    info.forEach(function (f) {
      var hit = test !== null && f.d > 0 && test(f.label);
      f.g.classList.toggle('m', hit);
      if (hit) { count++; spans.push([f.s, f.s + f.v]); }
    });
    if (test === null) { matched.textContent = ''; svg.removeAttribute('data-matched'); return; }
    // Nested matches (a recursive function) must not count twice: merge the sample spans.
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var sum = 0, end = -1;
    spans.forEach(function (sp) {
      if (sp[0] >= end) { sum += sp[1] - sp[0]; end = sp[1]; }
      else if (sp[1] > end) { sum += sp[1] - end; end = sp[1]; }
    });
    var pct = cfg.total === 0 ? 0 : (100 * sum) / cfg.total;
    matched.textContent = 'Matched: ' + pct.toFixed(2) + '% (' + count + ' frame' + (count === 1 ? '' : 's') + ')';
    svg.setAttribute('data-matched', String(count));
  }

  svg.addEventListener('click', function (ev) {
    var g = ev.target.closest ? ev.target.closest('g.f') : null;
    if (g && byG.has(g)) zoom(byG.get(g));
  });
  svg.addEventListener('mouseover', function (ev) {
    var g = ev.target.closest ? ev.target.closest('g.f') : null;
    if (g && byG.has(g)) details.textContent = byG.get(g).title;
  });
  svg.addEventListener('mouseout', function () { details.textContent = ' '; });
  reset.addEventListener('click', function () { zoom(info[0]); });
  if (input) {
    input.addEventListener('input', function () { search(input.value.trim()); });
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { input.value = ''; search(''); input.blur(); }
    });
  }
  // Ctrl-F / Cmd-F (and "/") jump to the search box instead of the browser's own find,
  // which cannot see truncated labels.
  document.addEventListener('keydown', function (ev) {
    if (!input) return;
    var find = (ev.ctrlKey || ev.metaKey) && (ev.key === 'f' || ev.key === 'F');
    if (find || (ev.key === '/' && document.activeElement !== input)) { ev.preventDefault(); input.focus(); input.select(); }
    else if (ev.key === 'Escape' && document.activeElement !== input && zoomed !== null) zoom(info[0]);
  });
  svg.setAttribute('data-ready', '1');
})();
`;
