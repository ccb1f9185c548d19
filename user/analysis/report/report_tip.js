// SPDX-License-Identifier: MIT
// The hover tooltip shared by every chart, the invocation tooltip of the
// timeline, and the task legend with its status markers.
(function (TP) {
  'use strict';

  // Helpers of other files are looked up when called, never when this file
  // loads: the files are concatenated in name order, not dependency order.
  var fmt = TP.fmt = TP.fmt || {};
  function el() { return TP.el.apply(null, arguments); }

  function tipNode() { return document.getElementById('tp-tooltip'); }

  // Fixed to the viewport and flipped at its edges, so it never widens the
  // page or hides under the pointer.
  TP.showTip = function (content, cx, cy) {
    var tip = tipNode();
    if (!tip) return;
    tip.textContent = '';
    tip.appendChild(content);
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight, vw = window.innerWidth, vh = window.innerHeight;
    var x = cx + 16, y = cy + 16;
    if (x + w > vw - 8) x = Math.max(8, cx - w - 16);
    if (y + h > vh - 8) y = Math.max(8, cy - h - 16);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  };
  TP.hideTip = function () {
    var tip = tipNode();
    if (tip) tip.hidden = true;
  };
  // For SVG and HTML marks: the tooltip follows the pointer over the node.
  TP.tipOn = function (node, make) {
    node.addEventListener('mousemove', function (e) { TP.showTip(make(), e.clientX, e.clientY); });
    node.addEventListener('mouseleave', TP.hideTip);
    return node;
  };

  TP.kvTable = function (pairs) {
    return el('table', { class: 'tp-kv' }, pairs.map(function (p) {
      return p ? el('tr', { class: p[2] || null }, el('th', { text: p[0] }), el('td', { text: p[1] })) : null;
    }));
  };

  function val(arr, i) { return arr && arr[i] !== undefined ? arr[i] : null; }

  TP.invocationTip = function (tl, i, sm) {
    var task = tl.task[i], dur = tl.runtime ? tl.runtime[i] : tl.dur_us[i] / 1e6;
    var lane = tl.lanes[tl.lane[i]] || {};
    var cu = val(tl.cpu_user, i), cs = val(tl.cpu_system, i), io = val(tl.iowait, i);
    var other = fmt.isNum(cu) && fmt.isNum(cs) && fmt.isNum(io) ? dur - cu - cs - io : null;
    var st = TP.STATUS[tl.status[i]] || String(tl.status[i]);
    return el('div', null,
      el('div', { class: 'tp-tip-head' }, TP.chip(task), tl.tasks[task],
        el('span', { class: 'tp-status tp-st-' + st, text: st })),
      TP.kvTable([
        ['profile id', String(tl.id[i])],
        ['thread', 'pid ' + lane.pid + ' / tid ' + lane.tid + (sm.depth[i] ? ', depth ' + sm.depth[i] : '')],
        ['start', '+' + fmt.durUs(tl.start_us[i] - sm.t0) + ' into the session'],
        ['', fmt.epochUs(tl.t0_us + tl.start_us[i])],
        ['runtime', fmt.dur(dur), 'tp-strong'],
        ['CPU user', fmt.dur(cu)],
        ['CPU system', fmt.dur(cs)],
        ['IO wait', fmt.dur(io)],
        ['other waiting', fmt.dur(other) + (other < 0 ? ' (threads ran in parallel)' : '')],
        ['peak memory', fmt.mib(val(tl.peak_mb, i))],
        ['allocations', fmt.num(val(tl.allocs, i))],
        ['read', fmt.bytes(val(tl.read, i))],
        ['written', fmt.bytes(val(tl.write, i))],
        ['sent', fmt.bytes(val(tl.sent, i))],
        ['received', fmt.bytes(val(tl.recv, i))],
        ['exceptions', fmt.num(val(tl.exceptions, i)), val(tl.exceptions, i) > 0 ? 'tp-bad' : null]
      ]));
  };

  TP.legend = function (tasks, withStatus) {
    var items = tasks.map(function (name, i) {
      return el('span', { class: 'tp-leg' }, TP.chip(i), name);
    });
    if (withStatus) {
      items.push(el('span', { class: 'tp-leg tp-leg-st' }, el('span', { class: 'tp-chip tp-sw-unwound' }),
        'unwound (hatched)'));
      items.push(el('span', { class: 'tp-leg' }, el('span', { class: 'tp-chip tp-sw-exited' }),
        'exited (cross-hatched)'));
    }
    return el('div', { class: 'tp-legend' }, items);
  };
})(window.TP = window.TP || {});
