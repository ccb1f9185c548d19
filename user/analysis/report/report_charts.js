// SPDX-License-Identifier: MIT
// Per-task charts: the runtime histogram (bins computed here, logarithmic
// when runtimes span more than a factor of 100) and the stacked bar of
// where the mean invocation's time went. Base and new share bins and scale
// so their shapes compare directly.
(function (TP) {
  'use strict';

  // Helpers of other files are looked up when called, never when this file
  // loads: the files are concatenated in name order, not dependency order.
  var fmt = TP.fmt = TP.fmt || {};
  function el() { return TP.el.apply(null, arguments); }
  function svg() { return TP.svg.apply(null, arguments); }
  var HW = 300, HH = 150, ML = 36, MR = 10, MT = 16, MB = 34;
  TP.PARTS = [
    { k: 'user', name: 'CPU user', color: '#33608f' },
    { k: 'sys', name: 'CPU system', color: '#86b3e0' },
    { k: 'io', name: 'IO wait', color: '#e08e2b' },
    { k: 'other', name: 'other waiting', color: '#c5cbd3' }
  ];

  // Bin edges over both sessions' runtimes, so base and new line up.
  function binning(lists) {
    var lo = Infinity, hi = -Infinity, n = 0;
    lists.forEach(function (l) {
      n = Math.max(n, l.length);
      for (var i = 0; i < l.length; i++) {
        if (l[i] < lo) lo = l[i];
        if (l[i] > hi) hi = l[i];
      }
    });
    if (!isFinite(lo)) return null;
    var log = lo > 0 && hi / lo > 100;
    if (hi === lo) { hi = lo === 0 ? 1e-6 : hi * 1.05; lo = lo * 0.95; }
    var count = Math.min(40, Math.max(6, Math.ceil(Math.sqrt(n))));
    var a = log ? Math.log(lo) : lo, b = log ? Math.log(hi) : hi;
    return {
      log: log, lo: lo, hi: hi, count: count,
      // Position of a runtime along the axis, 0..1.
      at: function (v) {
        var x = log ? Math.log(Math.max(v, lo)) : v;
        return (x - a) / (b - a);
      },
      edge: function (k) { var x = a + (b - a) * k / count; return log ? Math.exp(x) : x; }
    };
  }

  function counts(list, bins) {
    var c = new Array(bins.count).fill(0);
    for (var i = 0; i < list.length; i++) {
      c[Math.min(bins.count - 1, Math.max(0, Math.floor(bins.at(list[i]) * bins.count)))]++;
    }
    return c;
  }

  // Tick values: powers of ten on a log axis when there are two or more,
  // otherwise the ends and the middle.
  function ticks(bins) {
    if (bins.log) {
      var out = [];
      for (var e = Math.ceil(Math.log10(bins.lo)); Math.pow(10, e) <= bins.hi; e++) out.push(Math.pow(10, e));
      if (out.length >= 2) return out;
    }
    return [bins.lo, bins.edge(bins.count / 2), bins.hi];
  }

  function histogram(list, bins, role, color, p50) {
    var W = HW - ML - MR, H = HH - MT - MB;
    var g = svg('svg', { width: HW, height: HH, class: 'tp-hist', role: 'img' });
    if (role) g.appendChild(svg('text', { x: ML, y: 11, class: 'tp-h-role', text: role }));
    if (!list || !list.length) {
      g.appendChild(svg('text', { x: ML + W / 2, y: MT + H / 2, class: 'tp-h-none', text: 'not run in this session' }));
      return g;
    }
    var c = counts(list, bins), max = Math.max.apply(null, c), bw = W / bins.count;
    g.appendChild(svg('text', { x: ML - 4, y: MT + 4, class: 'tp-h-y', text: fmt.count(max) }));
    g.appendChild(svg('text', { x: ML - 4, y: MT + H, class: 'tp-h-y', text: '0' }));
    c.forEach(function (n, k) {
      var h = max ? n / max * H : 0;
      var lo = bins.edge(k), hi = bins.edge(k + 1);
      var r = svg('rect', { x: ML + k * bw + 0.5, y: MT + H - h, width: Math.max(0.5, bw - 1), height: h,
        fill: color, class: 'tp-h-bar' });
      // A transparent full-height mark gives short bars a usable hover area.
      var hit = svg('rect', { x: ML + k * bw, y: MT, width: bw, height: H, fill: 'transparent' });
      var make = function () {
        return el('div', null, el('b', { text: fmt.dur(lo) + ' – ' + fmt.dur(hi) }),
          el('div', { text: fmt.count(n) + ' invocation' + (n === 1 ? '' : 's') + ' (' +
            fmt.pct(n / list.length) + ')' }));
      };
      g.appendChild(r);
      g.appendChild(TP.tipOn(hit, make));
    });
    g.appendChild(svg('line', { x1: ML, x2: ML + W, y1: MT + H + 0.5, y2: MT + H + 0.5, class: 'tp-h-axis' }));
    ticks(bins).forEach(function (v) {
      var x = ML + bins.at(v) * W;
      g.appendChild(svg('line', { x1: x, x2: x, y1: MT + H, y2: MT + H + 4, class: 'tp-h-axis' }));
      // End labels keep inside the chart rather than centre on its edge.
      var anchor = x > ML + W - 24 ? 'end' : (x < ML + 24 ? 'start' : 'middle');
      g.appendChild(svg('text', { x: x, y: MT + H + 15, class: 'tp-h-x', 'text-anchor': anchor, text: fmt.dur(v) }));
    });
    if (fmt.isNum(p50)) {
      var x = ML + Math.min(1, Math.max(0, bins.at(p50))) * W;
      g.appendChild(svg('line', { x1: x, x2: x, y1: MT - 2, y2: MT + H, class: 'tp-h-med' }));
      g.appendChild(svg('text', { x: x + 3, y: MT + 6, class: 'tp-h-medl', text: 'p50' }));
    }
    g.appendChild(svg('text', { x: ML + W / 2, y: HH - 3, class: 'tp-h-cap',
      text: 'runtime' + (bins.log ? ' (log scale)' : '') }));
    return g;
  }

  // Mean seconds per invocation in each part; "other" is what runtime
  // leaves after CPU and IO wait, negative when threads ran in parallel.
  // A figure the database lacks stays null and shows as '-', not as 0.
  function parts(st) {
    if (!st) return null;
    var ok = fmt.isNum, rt = st.runtime_mean, user = st.cpu_user_mean, sys = st.cpu_system_mean;
    var io = ok(st.share_iowait) && ok(rt) ? st.share_iowait * rt : null;
    var other = ok(rt) && ok(user) && ok(sys) && ok(io) ? rt - user - sys - io : null;
    return { runtime: ok(rt) ? rt : null, user: ok(user) ? user : null, sys: ok(sys) ? sys : null,
      io: io, other: other };
  }
  function pos(v) { return v > 0 ? v : 0; }

  function breakdown(ps, roles, width) {
    var rowH = 22, labelW = roles[0] ? 44 : 0, rightW = 88;
    var barW = width - labelW - rightW, scale = 0;
    ps.forEach(function (p) {
      if (p) scale = Math.max(scale, pos(p.runtime), pos(p.user) + pos(p.sys) + pos(p.io) + pos(p.other));
    });
    var g = svg('svg', { width: width, height: ps.length * rowH + 2, class: 'tp-brk', role: 'img' });
    ps.forEach(function (p, r) {
      var y = r * rowH + 2;
      if (roles[r]) g.appendChild(svg('text', { x: 0, y: y + 13, class: 'tp-h-role', text: roles[r] }));
      if (!p) {
        g.appendChild(svg('text', { x: labelW, y: y + 13, class: 'tp-h-none', text: 'not run' }));
        return;
      }
      var x = labelW;
      TP.PARTS.forEach(function (part) {
        var w = scale ? pos(p[part.k]) / scale * barW : 0;
        if (w <= 0) return;
        g.appendChild(TP.tipOn(svg('rect', { x: x, y: y, width: w, height: rowH - 6, fill: part.color }),
          function () { return partTip(p); }));
        x += w;
      });
      g.appendChild(svg('text', { x: labelW + barW + 6, y: y + 12, class: 'tp-brk-total', text: fmt.dur(p.runtime) }));
    });
    return g;
  }

  function partTip(p) {
    return el('div', null, el('b', { text: 'mean per invocation' }), TP.kvTable(
      [['runtime', fmt.dur(p.runtime), 'tp-strong']].concat(TP.PARTS.map(function (part) {
        var v = p[part.k];
        return [part.name, fmt.dur(v) + (v < 0 ? ' (threads ran in parallel; drawn as 0)' : '')];
      }))));
  }

  function partText(p) {
    if (!p) return el('span', { class: 'tp-null', text: 'not run' });
    return el('div', { class: 'tp-brk-text' }, TP.PARTS.map(function (part) {
      var v = p[part.k];
      return el('span', { class: v < 0 ? 'tp-neg' : null,
        title: v < 0 ? 'negative: threads ran in parallel; drawn as 0' : null },
      el('i', { class: 'tp-dot', style: 'background:' + part.color }), part.name + ' ' + fmt.dur(v));
    }));
  }

  // One card per task; names come in the newest session's order, then the
  // tasks only the base ran.
  TP.taskCharts = function (data, runtimes, taskIndex) {
    var names = [], seen = {};
    for (var s = data.stats.length - 1; s >= 0; s--) {
      data.stats[s].tasks.forEach(function (t) {
        if (!seen[t.task]) { seen[t.task] = true; names.push(t.task); }
      });
    }
    var two = data.sessions.length === 2, roles = two ? ['BASE', 'NEW'] : [null];
    var legend = el('div', { class: 'tp-legend' }, TP.PARTS.map(function (part) {
      return el('span', { class: 'tp-leg' }, el('span', { class: 'tp-chip', style: 'background:' + part.color }),
        part.name);
    }));
    if (!names.length) return el('div', null, el('p', { class: 'tp-empty', text: 'no invocations' }));
    var cards = names.map(function (name) {
      var color = TP.taskColor(taskIndex(name));
      var lists = runtimes.map(function (r) { return r[name] || []; });
      var stats = data.stats.map(function (st) {
        return st.tasks.filter(function (t) { return t.task === name; })[0] || null;
      });
      var bins = binning(lists);
      var n = stats.map(function (st) { return st ? fmt.count(st.count) : '0'; }).join(' → ');
      return el('section', { class: 'tp-card tp-task-card' },
        el('h3', null, TP.chip(taskIndex(name)), name, el('span', { class: 'tp-sub', text: 'n = ' + n })),
        el('div', { class: 'tp-hists' }, lists.map(function (l, i) {
          return histogram(l, bins, roles[i], color, stats[i] && stats[i].runtime_p50);
        })),
        el('div', { class: 'tp-brk-head', text: 'where the mean invocation\u2019s time went' }),
        breakdown(stats.map(parts), roles, roles.length * HW + (roles.length - 1) * 12),
        stats.map(function (st, i) {
          return two ? el('div', { class: 'tp-brk-row' }, el('b', { text: roles[i] + ' ' }), partText(parts(st)))
            : partText(parts(st));
        }));
    });
    return el('div', null, legend, el('div', { class: 'tp-cards' + (two ? ' tp-two' : '') }, cards));
  };
})(window.TP = window.TP || {});
