// SPDX-License-Identifier: MIT
// The timeline's model: splits the invocations into sessions, lanes (one
// per pid/tid) and nesting depths, and answers "which bars lie in this time
// window" by binary search, so drawing and hovering cost what is visible,
// not what was recorded.
(function (TP) {
  'use strict';

  // Rows come sorted by lane, start, longest first; anything else (a hand-
  // edited file, another writer) is put in that order here rather than
  // silently drawn wrong.
  function order(tl) {
    var n = tl.count, idx = new Int32Array(n), sorted = true;
    for (var i = 0; i < n; i++) {
      idx[i] = i;
      if (i && before(tl, i, i - 1)) sorted = false;
    }
    if (!sorted) {
      var a = Array.prototype.slice.call(idx);
      a.sort(function (x, y) { return before(tl, x, y) ? -1 : (before(tl, y, x) ? 1 : 0); });
      idx = Int32Array.from(a);
    }
    return idx;
  }
  function before(tl, a, b) {
    if (tl.lane[a] !== tl.lane[b]) return tl.lane[a] < tl.lane[b];
    if (tl.start_us[a] !== tl.start_us[b]) return tl.start_us[a] < tl.start_us[b];
    return tl.dur_us[a] > tl.dur_us[b];
  }

  // One row of a lane: the invocations at one depth, start-sorted. maxEnd
  // is the running maximum of their ends, which makes "first bar ending
  // after t" a binary search even if clock noise lets siblings overlap.
  function makeRow(ids, tl) {
    var n = ids.length, start = new Float64Array(n), maxEnd = new Float64Array(n);
    var m = -Infinity;
    for (var k = 0; k < n; k++) {
      var i = ids[k];
      start[k] = tl.start_us[i];
      m = Math.max(m, tl.start_us[i] + tl.dur_us[i]);
      maxEnd[k] = m;
    }
    return { ids: Int32Array.from(ids), start: start, maxEnd: maxEnd };
  }

  TP.buildModel = function (tl, sessions) {
    var bySession = {};
    var model = sessions.map(function (s, i) {
      bySession[s.id] = i;
      return { id: s.id, lanes: [], bars: 0, t0: Infinity, t1: -Infinity, maxDepth: 0 };
    });
    var laneOf = (tl.lanes || []).map(function (l) {
      var si = bySession[l.session];
      if (si === undefined) return null;
      var lane = { pid: l.pid, tid: l.tid, rowIds: [], rows: null, bars: 0 };
      model[si].lanes.push(lane);
      lane.session = model[si];
      return lane;
    });
    // Where each invocation was put, for outlining the hovered one.
    var depth = new Int16Array(tl.count);
    var idx = order(tl), stack = [], cur = null;
    for (var k = 0; k < idx.length; k++) {
      var i = idx[k], lane = laneOf[tl.lane[i]];
      if (!lane) continue;
      if (lane !== cur) { stack.length = 0; cur = lane; }
      var s = tl.start_us[i], e = s + tl.dur_us[i];
      // A child lies within its parent: everything that ended by this start
      // is no longer open, and what is still open is an ancestor.
      while (stack.length && stack[stack.length - 1] <= s) stack.pop();
      var d = stack.length;
      stack.push(e);
      depth[i] = d;
      (lane.rowIds[d] || (lane.rowIds[d] = [])).push(i);
      lane.bars++;
      var sm = lane.session;
      if (s < sm.t0) sm.t0 = s;
      if (e > sm.t1) sm.t1 = e;
    }
    model.forEach(function (sm) {
      sm.lanes = sm.lanes.filter(function (l) { return l.bars > 0; });
      sm.depth = depth;
      sm.laneOf = laneOf;
      sm.lanes.forEach(function (l, li) {
        l.li = li;
        l.rows = l.rowIds.map(function (ids) { return makeRow(ids, tl); });
        l.rowIds = null;
        sm.bars += l.bars;
        sm.maxDepth = Math.max(sm.maxDepth, l.rows.length);
      });
      if (!sm.bars) { sm.t0 = 0; sm.t1 = 1; }
      if (sm.t1 <= sm.t0) sm.t1 = sm.t0 + 1;
    });
    return model;
  };

  // First position in a row whose bar ends after t.
  TP.firstEndingAfter = function (row, t) {
    var lo = 0, hi = row.maxEnd.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (row.maxEnd[mid] > t) hi = mid; else lo = mid + 1;
    }
    return lo;
  };

  // The bar of a row under time t, within tol either side: the one that
  // contains t if any, else the nearest. Widened 1px bars count as hit.
  TP.barAt = function (row, tl, t, tol) {
    var best = -1, bestDist = Infinity;
    for (var k = TP.firstEndingAfter(row, t - tol); k < row.start.length; k++) {
      if (row.start[k] > t + tol) break;
      var i = row.ids[k], s = row.start[k], e = s + tl.dur_us[i];
      if (e < t - tol) continue;
      var dist = t < s ? s - t : (t > e ? t - e : 0);
      if (dist < bestDist || (dist === bestDist && best >= 0 && tl.dur_us[i] < tl.dur_us[best])) {
        best = i;
        bestDist = dist;
      }
    }
    return best;
  };

  // Runtimes in seconds per session and task, for the histograms: the
  // stored runtime_seconds, not the bar's length (whole microseconds, and
  // cut where a row overlapped its parent's end).
  TP.runtimes = function (tl, sessions) {
    var bySession = {};
    sessions.forEach(function (s, i) { bySession[s.id] = i; });
    var out = sessions.map(function () { return {}; });
    for (var i = 0; i < tl.count; i++) {
      var lane = tl.lanes[tl.lane[i]], si = lane ? bySession[lane.session] : undefined;
      if (si === undefined) continue;
      var name = tl.tasks[tl.task[i]];
      (out[si][name] || (out[si][name] = [])).push(tl.runtime ? tl.runtime[i] : tl.dur_us[i] / 1e6);
    }
    return out;
  };
})(window.TP = window.TP || {});
