// SPDX-License-Identifier: MIT
// The report page's entry point, concatenated after the report_*.js files:
// reads the embedded data, builds every section, and says when it is done
// (TP.ready, TP.bars) for the headless check in the tests.
(function (TP) {
  'use strict';

  function el() { return TP.el.apply(null, arguments); }

  function plural(n, word) { return TP.fmt.count(n) + ' ' + word + (n === 1 ? '' : 's'); }

  function section(id, title, note) {
    var kids = Array.prototype.slice.call(arguments, 3);
    return el('section', { id: id, class: 'tp-section' }, el('h2', { text: title }),
      note ? el('p', { class: 'tp-note', text: note }) : null, kids);
  }

  function render(data) {
    var tl = data.timeline || { tasks: [], lanes: [], count: 0 };
    var sessions = data.sessions || [];
    var two = sessions.length === 2;
    var colorOf = {};
    (tl.tasks || []).forEach(function (name, i) { colorOf[name] = i; });
    // Tasks missing from the timeline still get a colour of their own.
    var next = (tl.tasks || []).length;
    function taskIndex(name) {
      if (colorOf[name] === undefined) colorOf[name] = next++;
      return colorOf[name];
    }

    var model = TP.buildModel(tl, sessions);
    var roles = two ? ['BASE', 'NEW'] : [''];
    document.getElementById('tp-header').appendChild(
      TP.header(data, model.map(function (m) { return m.bars; })));

    var main = document.getElementById('tp-main');
    main.textContent = '';
    if (two && data.diff) {
      main.appendChild(section('tp-diff', 'Comparison: BASE → NEW', null, TP.diffTable(data.diff, taskIndex)));
    }
    main.appendChild(section('tp-stats', 'Tasks', 'Click a column heading to sort. Times are per ' +
      'invocation except Total; shares are of total runtime.', TP.statsTable(data.stats || [], roles, taskIndex)));

    var views = model.map(function (sm) { return TP.timeline(sm, tl); });
    main.appendChild(section('tp-timelines', 'Timeline',
      tl.count ? 'All ' + TP.fmt.count(tl.count) + ' invocations drawn; bars narrower than a pixel are ' +
      'widened to 1px. One lane per thread; a call made inside another task sits one row deeper.' : null,
      tl.count ? TP.legend(tl.tasks || [], true) : null,
      views.map(function (v, i) {
        return el('div', { class: 'tp-block' },
          el('h3', null, roles[i] ? el('span', { class: 'tp-role tp-role-' + roles[i].toLowerCase(), text: roles[i] }) : null,
            'Session ' + sessions[i].id, el('span', { class: 'tp-sub', text: plural(v.sm.bars, 'invocation') + ' in ' +
              plural(v.sm.lanes.length, 'thread') })),
          v.node);
      })));

    main.appendChild(section('tp-dists', 'Distributions', 'Runtime histograms per task (dashed: median), ' +
      'and the mean invocation split into CPU, IO wait and other waiting.',
    TP.taskCharts(data, TP.runtimes(tl, sessions), taskIndex)));

    // Canvases size themselves from the laid-out page, so they are drawn
    // once everything is in it.
    views.forEach(function (v) { v.layout(); });
    var resized = false;
    window.addEventListener('resize', function () {
      if (resized) return;
      resized = true;
      requestAnimationFrame(function () { resized = false; views.forEach(function (v) { v.layout(); }); });
    });
    TP.bars = model.reduce(function (n, m) { return n + m.bars; }, 0);
  }

  var began = performance.now();
  try {
    var data = JSON.parse(document.getElementById('tp-data').textContent);
    render(data);
    TP.data = data;
    TP.renderMs = Math.round(performance.now() - began);
    TP.ready = true;
  } catch (e) {
    var main = document.getElementById('tp-main');
    main.textContent = '';
    main.appendChild(el('p', { class: 'tp-warn', text: 'This report could not be drawn: ' + e.message }));
    TP.error = String(e && e.message);
    throw e;
  }
})(window.TP = window.TP || {});
