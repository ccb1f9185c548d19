// SPDX-License-Identifier: MIT
// Shared helpers of the report page: human units, DOM building and the task
// palette. Every report_*.js file adds to the one global object TP; only
// report.js runs anything, so the files may be concatenated in any order.
(function (TP) {
  'use strict';

  var fmt = TP.fmt = TP.fmt || {};
  var DASH = '-';

  function isNum(x) { return typeof x === 'number' && isFinite(x); }
  fmt.isNum = isNum;

  // Three significant digits is what a reader compares at a glance; more
  // only looks precise.
  function sig(x, n) {
    // sums of doubles leave dust like -2.2e-14 where the answer is 0
    if (Math.abs(x) < 1e-9) return '0';
    var s = x.toPrecision(n || 3);
    if (s.indexOf('e') >= 0) return String(Number(s));
    return s.indexOf('.') >= 0 ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  }
  fmt.sig = sig;

  fmt.dur = function (sec) {
    if (!isNum(sec)) return DASH;
    var a = Math.abs(sec), sign = sec < 0 ? '-' : '';
    if (a < 1e-10) return '0 s';
    if (a < 1e-3) return sign + sig(a * 1e6) + ' µs';
    if (a < 1) return sign + sig(a * 1e3) + ' ms';
    if (a < 600) return sign + sig(a) + ' s';
    var m = Math.floor(a / 60), s = Math.round(a - m * 60);
    if (m < 120) return sign + m + ' min ' + s + ' s';
    return sign + Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  };
  fmt.durUs = function (us) { return isNum(us) ? fmt.dur(us / 1e6) : DASH; };

  var UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  fmt.bytes = function (b) {
    if (!isNum(b)) return DASH;
    var a = Math.abs(b), i = 0;
    while (a >= 1024 && i < UNITS.length - 1) { a /= 1024; i++; }
    return (b < 0 ? '-' : '') + (i === 0 ? String(Math.round(a)) : sig(a)) + ' ' + UNITS[i];
  };
  fmt.mib = function (m) { return isNum(m) ? fmt.bytes(m * 1048576) : DASH; };

  fmt.pct = function (f) { return isNum(f) ? sig(f * 100) + ' %' : DASH; };
  fmt.change = function (p) {
    if (!isNum(p)) return DASH;
    return (p > 0 ? '+' : '') + (Math.abs(p) >= 1000 ? Math.round(p) : p.toFixed(1)) + ' %';
  };
  fmt.pval = function (p) {
    if (!isNum(p)) return DASH;
    return p < 1e-4 ? '< 0.0001' : sig(p, 2);
  };
  fmt.count = function (n) {
    if (!isNum(n)) return DASH;
    var s = String(Math.round(n));
    return s.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  };
  fmt.num = function (n) {
    if (!isNum(n)) return DASH;
    return Math.abs(n) >= 1000 ? fmt.count(n) : sig(n);
  };

  // Stored times are ISO with microseconds; Date keeps milliseconds, which
  // is all a header needs, and the text is shown as UTC to match the data.
  fmt.stamp = function (iso) {
    if (!iso) return DASH;
    var m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(iso);
    return m ? m[1] + ' ' + m[2] + (m[3] || '') + ' UTC' : String(iso);
  };
  fmt.parseIso = function (iso) {
    if (!iso) return NaN;
    return Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  };
  fmt.epochUs = function (us) {
    var d = new Date(Math.floor(us / 1000)).toISOString();
    var micro = String(Math.floor(us % 1000)).padStart(3, '0');
    return d.slice(0, 10) + ' ' + d.slice(11, 23) + micro + ' UTC';
  };

  // DOM building from data never goes through innerHTML, so no task name
  // or target command line can become markup.
  TP.el = function (tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    appendKids(node, arguments, 2);
    return node;
  };
  TP.svg = function (tag, attrs) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    setAttrs(node, attrs);
    appendKids(node, arguments, 2);
    return node;
  };
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') node.textContent = v;
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    });
  }
  // Children may come as nested arrays, as map() builds them.
  function appendKids(node, args, from) {
    for (var i = from; i < args.length; i++) add(node, args[i]);
  }
  function add(node, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (k) { add(node, k); });
    else node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }

  // Okabe-Ito without black, then Tol's muted set: colours that stay
  // apart for the common colour-vision deficiencies. Past those, hues
  // spread by the golden angle, still distinct if less so.
  var PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00',
    '#CC79A7', '#332288', '#88CCEE', '#117733', '#DDCC77', '#882255', '#44AA99',
    '#999933', '#AA4499', '#CC6677'];
  TP.taskColor = function (i) {
    if (i < PALETTE.length) return PALETTE[i];
    var h = Math.round((i * 137.508) % 360);
    return 'hsl(' + h + ',55%,' + (i % 2 ? 45 : 62) + '%)';
  };
  // Labels on a bar must stay readable whichever colour the bar has.
  TP.inkOn = function (color) {
    var m = /^#(..)(..)(..)$/.exec(color);
    if (!m) return /,62%\)$/.test(color) ? '#111' : '#fff';
    var r = parseInt(m[1], 16), g = parseInt(m[2], 16), b = parseInt(m[3], 16);
    return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#111' : '#fff';
  };

  TP.STATUS = ['completed', 'unwound', 'exited'];
})(window.TP = window.TP || {});
