// SPDX-License-Identifier: MIT
// One session's timeline on a canvas: a lane per thread, nested calls one
// row deeper, a time axis, wheel zoom around the cursor, drag to pan and a
// hover tooltip. Only what lies in the visible window is drawn (report_lanes
// finds it), which keeps 100,000 invocations smooth.
(function (TP) {
  'use strict';

  var GUTTER = 136, AXIS = 28, ROW = 16, PAD = 3, MAX_VIEW = 480, MIN_SPAN = 10;
  var FONT = '11px "DejaVu Sans", system-ui, sans-serif';

  function hatch(cross) {
    var c = document.createElement('canvas');
    c.width = c.height = 6;
    var g = c.getContext('2d');
    g.strokeStyle = 'rgba(0,0,0,0.55)';
    g.lineWidth = 1.2;
    g.beginPath();
    g.moveTo(0, 6); g.lineTo(6, 0);
    if (cross) { g.moveTo(0, 0); g.lineTo(6, 6); }
    g.stroke();
    return c;
  }

  function Timeline(sm, tl) {
    var self = this;
    this.sm = sm;
    this.tl = tl;
    this.colors = tl.tasks.map(function (_, i) { return TP.taskColor(i); });
    this.inks = this.colors.map(TP.inkOn);
    this.tops = [];
    var y = 0;
    sm.lanes.forEach(function (l) { self.tops.push(y); y += l.rows.length * ROW + 2 * PAD; });
    this.total = y;
    this.viewH = sm.bars ? Math.min(y, MAX_VIEW) : 8;
    this.hover = -1;
    this.drag = null;
    this.reset();

    this.canvas = TP.el('canvas', { class: 'tp-timeline', 'data-session': sm.id, 'data-bars': sm.bars,
      role: 'img', 'aria-label': 'timeline of session ' + sm.id + ': ' + sm.bars + ' invocations in ' +
        sm.lanes.length + ' threads', style: 'height:' + (AXIS + this.viewH) + 'px' });
    this.scroller = TP.el('div', { class: 'tp-tl-scroll', style: 'height:' + (AXIS + this.viewH) + 'px' },
      this.canvas, TP.el('div', { style: 'height:' + Math.max(0, this.total - this.viewH) + 'px' }));
    this.range = TP.el('span', { class: 'tp-tl-range' });
    this.node = TP.el('div', { class: 'tp-tl' },
      // Nothing to zoom in an empty session: the canvas only says so.
      !sm.bars ? null : TP.el('div', { class: 'tp-tl-bar' },
        TP.el('button', { type: 'button', text: 'Reset zoom', onclick: function () { self.reset(); self.draw(); } }),
        this.range,
        TP.el('span', { class: 'tp-tl-hint', text: 'wheel: zoom · drag: pan' +
          (this.total > this.viewH ? ' · wheel over the thread names: scroll' : '') + ' · double-click a bar: zoom to it' })),
      this.scroller);
    this.listen();
  }

  Timeline.prototype.reset = function () {
    var span = this.sm.t1 - this.sm.t0, m = span * 0.01;
    this.v0 = this.sm.t0 - m;
    this.v1 = this.sm.t1 + m;
  };

  // Keeps some of the session in view and the zoom within sense.
  Timeline.prototype.setView = function (v0, v1) {
    var full = (this.sm.t1 - this.sm.t0) * 1.02, span = Math.min(Math.max(v1 - v0, MIN_SPAN), full);
    var mid = Math.min(Math.max((v0 + v1) / 2, this.sm.t0), this.sm.t1);
    if (v1 - v0 !== span) { v0 = mid - span / 2; }
    v0 = Math.min(Math.max(v0, this.sm.t0 - span / 2), this.sm.t1 - span / 2);
    this.v0 = v0;
    this.v1 = v0 + span;
  };

  Timeline.prototype.layout = function () {
    var dpr = window.devicePixelRatio || 1;
    this.W = Math.max(GUTTER + 100, this.scroller.clientWidth);
    this.H = AXIS + this.viewH;
    this.canvas.style.width = this.W + 'px';
    this.canvas.width = Math.round(this.W * dpr);
    this.canvas.height = Math.round(this.H * dpr);
    this.ctx = this.canvas.getContext('2d');
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.unwound = this.ctx.createPattern(hatch(false), 'repeat');
    this.exited = this.ctx.createPattern(hatch(true), 'repeat');
    this.draw();
  };

  // Pixels per microsecond now; events can come faster than frames, so
  // handlers must not use the value of the last draw.
  Timeline.prototype.scale = function () { return (this.W - GUTTER) / (this.v1 - this.v0); };

  Timeline.prototype.later = function () {
    var self = this;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(function () { self.pending = false; self.draw(); });
  };

  Timeline.prototype.visibleLanes = function (fn) {
    var top = this.scroller.scrollTop;
    for (var li = 0; li < this.sm.lanes.length; li++) {
      var y = AXIS + this.tops[li] - top, h = this.sm.lanes[li].rows.length * ROW + 2 * PAD;
      if (y + h < AXIS || y > this.H) continue;
      fn(this.sm.lanes[li], y, h, li);
    }
  };

  Timeline.prototype.draw = function () {
    var ctx = this.ctx, self = this;
    if (!ctx) return;
    ctx.font = FONT;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.W, this.H);
    if (!this.sm.bars) {
      ctx.fillStyle = '#59636e';
      ctx.fillText('no invocations', 12, this.H / 2 + 4);
      this.range.textContent = '';
      return;
    }
    this.k = this.scale();
    this.visibleLanes(function (lane, y, h, li) {
      ctx.fillStyle = li % 2 ? '#f6f7f9' : '#fff';
      ctx.fillRect(0, y, self.W, h);
    });
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, AXIS, this.W - GUTTER, this.H - AXIS);
    ctx.clip();
    this.grid(false);
    this.visibleLanes(function (lane, y) {
      lane.rows.forEach(function (row, d) { self.drawRow(row, y + PAD + d * ROW); });
    });
    if (this.hover >= 0) this.outline(this.hover);
    ctx.restore();
    this.gutter();
    this.grid(true);
    this.range.textContent = 'showing ' + this.label(this.v0 - this.sm.t0) + ' to ' +
      this.label(this.v1 - this.sm.t0) + ' (' + TP.fmt.durUs(this.v1 - this.v0) + ')' + this.lanesShown();
  };

  // Headless screenshots and some systems hide scrollbars: say so when
  // lanes lie outside the box.
  Timeline.prototype.lanesShown = function () {
    if (this.total <= this.viewH) return '';
    var first = -1, last = -1, n = this.sm.lanes.length;
    this.visibleLanes(function (l, y, h, li) { if (first < 0) first = li; last = li; });
    return ' · threads ' + (first + 1) + '–' + (last + 1) + ' of ' + n;
  };

  Timeline.prototype.drawRow = function (row, y) {
    var ctx = this.ctx, tl = this.tl, k = this.k, v0 = this.v0, v1 = this.v1, W = this.W;
    var colors = this.colors, fill = '', pend = -1, pendPx = 0;
    // Bars narrower than a pixel are widened to one. Overdrawing the bars
    // that share a pixel would show an arbitrary one; the longest, the one
    // that took most of that pixel's time, is the one drawn.
    function flush() {
      if (pend < 0) return;
      if (fill !== colors[tl.task[pend]]) { fill = colors[tl.task[pend]]; ctx.fillStyle = fill; }
      ctx.fillRect(pendPx, y + 1, 1, ROW - 2);
      pend = -1;
    }
    for (var j = TP.firstEndingAfter(row, v0); j < row.start.length; j++) {
      var s = row.start[j];
      if (s >= v1) break;
      var i = row.ids[j], x = GUTTER + (s - v0) * k, w = tl.dur_us[i] * k;
      if (w < 1) {
        var px = Math.floor(x);
        if (px !== pendPx) flush();
        if (pend < 0 || tl.dur_us[i] > tl.dur_us[pend]) pend = i;
        pendPx = px;
        continue;
      }
      flush();
      var task = tl.task[i], st = tl.status[i];
      if (x < GUTTER - 2) { w -= GUTTER - 2 - x; x = GUTTER - 2; }
      if (x + w > W + 2) w = W + 2 - x;
      if (fill !== colors[task]) { fill = colors[task]; ctx.fillStyle = fill; }
      var gap = w >= 4 ? 1 : 0;
      ctx.fillRect(x, y + 1, w - gap, ROW - 2);
      if (st) {
        ctx.fillStyle = st === 1 ? this.unwound : this.exited;
        ctx.fillRect(x, y + 1, w - gap, ROW - 2);
        if (w >= 4) { ctx.strokeStyle = '#222'; ctx.lineWidth = 1; ctx.strokeRect(x + 0.5, y + 1.5, w - gap - 1, ROW - 3); }
        fill = '';
      }
      if (w > 40) { this.text(tl.tasks[task], x, y, w - gap, this.inks[task]); fill = ''; }
    }
    flush();
  };

  Timeline.prototype.text = function (s, x, y, w, ink) {
    var ctx = this.ctx, x0 = Math.max(x, GUTTER) + 4, room = Math.min(x + w, this.W) - x0 - 3;
    if (room < 16) return;
    var t = s;
    // Halving the cut keeps this to a few measurements for long names.
    if (ctx.measureText(t).width > room) {
      var lo = 0, hi = s.length;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (ctx.measureText(s.slice(0, mid) + '…').width <= room) lo = mid; else hi = mid - 1;
      }
      if (!lo) return;
      t = s.slice(0, lo) + '…';
    }
    ctx.fillStyle = ink;
    ctx.fillText(t, x0, y + ROW - 4.5);
  };

  Timeline.prototype.outline = function (i) {
    var lane = this.sm.laneOf[this.tl.lane[i]], ctx = this.ctx;
    if (!lane) return;
    var y = AXIS + this.tops[lane.li] - this.scroller.scrollTop + PAD + this.sm.depth[i] * ROW;
    var x = GUTTER + (this.tl.start_us[i] - this.v0) * this.k, w = Math.max(1, this.tl.dur_us[i] * this.k);
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    ctx.strokeRect(x - 1, y, w + 2, ROW);
  };

  Timeline.prototype.gutter = function () {
    var ctx = this.ctx, self = this;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, AXIS, GUTTER - 2, this.H - AXIS);
    this.visibleLanes(function (lane, y, h, li) {
      ctx.fillStyle = li % 2 ? '#f6f7f9' : '#fff';
      ctx.fillRect(0, y, GUTTER - 2, h);
      ctx.fillStyle = '#d5d9e0';
      ctx.fillRect(0, y + h - 1, self.W, 1);
      ctx.fillStyle = '#24292f';
      ctx.fillText('pid ' + lane.pid + ' / tid ' + lane.tid, 8, y + PAD + ROW - 4.5);
      if (lane.rows.length > 1) {
        ctx.fillStyle = '#6a737d';
        ctx.fillText(TP.fmt.count(lane.bars) + ' invocations', 8, y + PAD + 2 * ROW - 4.5);
      }
    });
    ctx.fillStyle = '#d5d9e0';
    ctx.fillRect(GUTTER - 2, AXIS, 1, this.H - AXIS);
  };

  // Ticks at 1, 2 or 5 times a power of ten, about every 100px; labels
  // count from the session's first start so base and new read alike.
  Timeline.prototype.grid = function (axis) {
    var ctx = this.ctx, span = this.v1 - this.v0, want = span * 100 / (this.W - GUTTER);
    var p = Math.pow(10, Math.floor(Math.log10(want))), step = p;
    if (want / p > 5) step = 10 * p; else if (want / p > 2) step = 5 * p; else if (want / p > 1) step = 2 * p;
    this.step = step;
    var base = this.sm.t0, t = Math.ceil((this.v0 - base) / step) * step + base;
    if (axis) {
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, this.W, AXIS);
      ctx.fillStyle = '#8c959f';
      ctx.fillRect(GUTTER, AXIS - 1, this.W - GUTTER, 1);
      ctx.fillStyle = '#57606a';
      ctx.fillText('time since first start', 8, AXIS - 10);
    }
    for (; t <= this.v1; t += step) {
      var x = Math.round(GUTTER + (t - this.v0) * this.k) + 0.5;
      if (x < GUTTER) continue;
      if (!axis) {
        ctx.fillStyle = 'rgba(140,149,159,0.18)';
        ctx.fillRect(x - 0.5, AXIS, 1, this.H - AXIS);
        continue;
      }
      ctx.fillStyle = '#8c959f';
      ctx.fillRect(x - 0.5, AXIS - 6, 1, 5);
      var s = this.label(t - base), w = ctx.measureText(s).width;
      if (x + w / 2 > this.W) continue;
      ctx.fillStyle = '#24292f';
      ctx.fillText(s, Math.max(GUTTER, x - w / 2), AXIS - 10);
    }
  };

  // The unit follows the window's magnitude and the decimals the tick step,
  // so neighbouring ticks never print the same text.
  Timeline.prototype.label = function (us) {
    var mag = Math.max(Math.abs(this.v1 - this.sm.t0), Math.abs(this.v0 - this.sm.t0));
    var unit = mag >= 1e6 ? 1e6 : (mag >= 1e3 ? 1e3 : 1), name = unit === 1e6 ? ' s' : (unit === 1e3 ? ' ms' : ' µs');
    var dec = Math.max(0, Math.min(6, Math.ceil(Math.log10(unit / (this.step || unit)) - 1e-9)));
    var v = us / unit;
    return (Math.abs(v) < Math.pow(10, -dec) / 2 ? 0 : v).toFixed(dec) + name;
  };

  Timeline.prototype.hit = function (mx, my) {
    if (mx < GUTTER || my < AXIS || !this.sm.bars) return -1;
    var y = my - AXIS + this.scroller.scrollTop, li = this.tops.length - 1;
    while (li > 0 && this.tops[li] > y) li--;
    var lane = this.sm.lanes[li], d = Math.floor((y - this.tops[li] - PAD) / ROW);
    if (!lane || d < 0 || d >= lane.rows.length) return -1;
    var k = this.scale(), t = this.v0 + (mx - GUTTER) / k;
    return TP.barAt(lane.rows[d], this.tl, t, 1.5 / k);
  };

  Timeline.prototype.listen = function () {
    var self = this, c = this.canvas;
    function pos(e) { var r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
    c.addEventListener('wheel', function (e) {
      var p = pos(e);
      if (p[0] < GUTTER || !self.sm.bars) return;
      e.preventDefault();
      // What was under the pointer moves away: the next mousemove finds
      // what is there now.
      TP.hideTip();
      self.hover = -1;
      var dy = e.deltaY * (e.deltaMode === 1 ? 16 : (e.deltaMode === 2 ? 400 : 1));
      var dx = e.deltaX * (e.deltaMode === 1 ? 16 : 1), span = self.v1 - self.v0;
      var k = self.scale();
      if (Math.abs(dx) > Math.abs(dy)) {
        self.setView(self.v0 + dx / k, self.v1 + dx / k);
      } else {
        var at = self.v0 + (p[0] - GUTTER) / k, f = Math.exp(dy * 0.002);
        var ns = Math.min(Math.max(span * f, MIN_SPAN), (self.sm.t1 - self.sm.t0) * 1.02);
        var frac = (at - self.v0) / span;
        self.setView(at - frac * ns, at - frac * ns + ns);
      }
      self.later();
    }, { passive: false });
    c.addEventListener('mousedown', function (e) {
      if (e.button !== 0) return;
      self.drag = { x: e.clientX, y: e.clientY, v0: self.v0, v1: self.v1, top: self.scroller.scrollTop };
      c.classList.add('tp-dragging');
      TP.hideTip();
      e.preventDefault();
    });
    window.addEventListener('mousemove', function (e) {
      var g = self.drag;
      if (!g) return;
      var dt = (e.clientX - g.x) * (g.v1 - g.v0) / (self.W - GUTTER);
      self.setView(g.v0 - dt, g.v1 - dt);
      self.scroller.scrollTop = g.top - (e.clientY - g.y);
      self.later();
    });
    window.addEventListener('mouseup', function () {
      if (self.drag) { self.drag = null; c.classList.remove('tp-dragging'); }
    });
    c.addEventListener('mousemove', function (e) {
      if (self.drag) return;
      var p = pos(e), i = self.hit(p[0], p[1]);
      if (i !== self.hover) { self.hover = i; self.later(); }
      if (i >= 0) TP.showTip(TP.invocationTip(self.tl, i, self.sm), e.clientX, e.clientY);
      else TP.hideTip();
    });
    c.addEventListener('mouseleave', function () {
      TP.hideTip();
      if (self.hover >= 0) { self.hover = -1; self.later(); }
    });
    c.addEventListener('dblclick', function (e) {
      var p = pos(e), i = self.hit(p[0], p[1]);
      if (i < 0) return;
      var s = self.tl.start_us[i], d = Math.max(self.tl.dur_us[i], MIN_SPAN);
      self.setView(s - d * 0.1, s + d * 1.1);
      self.later();
    });
    this.scroller.addEventListener('scroll', function () { self.later(); });
  };

  TP.views = [];
  TP.timeline = function (sm, tl) {
    var t = new Timeline(sm, tl);
    TP.views.push(t);
    return t;
  };
})(window.TP = window.TP || {});
