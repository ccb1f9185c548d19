// SPDX-License-Identifier: MIT
// The report's text parts: the header with its session cards and warnings,
// the per-session statistics table (sortable) and the base/new comparison.
(function (TP) {
  'use strict';

  // Helpers of other files are looked up when called, never when this file
  // loads: the files are concatenated in name order, not dependency order.
  var fmt = TP.fmt = TP.fmt || {};
  function el() { return TP.el.apply(null, arguments); }

  TP.header = function (data, sessionRows) {
    var two = data.sessions.length === 2;
    var nav = el('nav', null,
      ['#tp-stats', 'Tasks', '#tp-timelines', 'Timeline', '#tp-dists', 'Distributions']
        .reduce(function (acc, v, i, a) {
          if (i % 2 === 0) acc.push(el('a', { href: v, text: a[i + 1] }));
          return acc;
        }, two ? [el('a', { href: '#tp-diff', text: 'Comparison' })] : []));
    return el('div', { class: 'tp-head' },
      el('div', { class: 'tp-brand' }, el('h1', { text: 'taskprof report' }),
        el('span', { class: 'tp-sub' }, 'generated ' + fmt.stamp(data.generated_at))),
      el('div', { class: 'tp-db' }, 'database ', el('code', { text: data.db || '-' })),
      nav,
      el('div', { class: 'tp-sessions' }, data.sessions.map(function (s, i) {
        return sessionCard(s, data.stats[i], sessionRows[i], two ? (i ? 'NEW' : 'BASE') : null);
      })));
  };

  function sessionCard(s, stats, rows, role) {
    var t0 = fmt.parseIso(s.started_at), t1 = fmt.parseIso(s.ended_at);
    var lost = s.events_lost || 0, rolled = (stats && stats.rolled_up) || 0;
    var warn = [];
    if (lost > 0) {
      warn.push(el('div', { class: 'tp-warn' }, '⚠ ' + fmt.count(lost) + ' events lost: ' +
        'some invocations may be missing or incomplete'));
    }
    if (rolled > 0) {
      warn.push(el('div', { class: 'tp-warn' }, '⚠ ' + fmt.count(rolled) + ' invocations ' +
        'beyond a collector\u2019s rate limit are rolled up and not in these figures'));
    }
    var kv = [
      ['target', el('code', { text: s.target || '-' })],
      ['started', fmt.stamp(s.started_at)],
      ['ended', s.ended_at ? fmt.stamp(s.ended_at) : 'not ended'],
      ['duration', isFinite(t0) && isFinite(t1) ? fmt.dur((t1 - t0) / 1000) : '-'],
      ['invocations', fmt.count(rows) + (stats ? ' in ' + stats.tasks.length + ' tasks' : '')],
      ['events lost', el('span', { class: lost > 0 ? 'tp-bad' : null, text: fmt.count(lost) })],
      ['rolled up', el('span', { class: rolled > 0 ? 'tp-bad' : null, text: fmt.count(rolled) })]
    ];
    return el('section', { class: 'tp-card tp-session' + (warn.length ? ' tp-has-warn' : '') },
      el('h2', null, role ? el('span', { class: 'tp-role tp-role-' + role.toLowerCase(), text: role }) : null,
        'Session ' + s.id, el('span', { class: 'tp-status tp-st-' + s.status, text: s.status || '-' })),
      el('dl', null, kv.map(function (p) { return [el('dt', { text: p[0] }), el('dd', null, p[1])]; })),
      warn);
  }

  // Groups head the columns so the many figures read as a few blocks.
  function columns() {
    return [
      { k: 'task', h: 'Task', g: '', text: true },
      { k: 'count', h: 'Count', g: '', f: fmt.count },
      { k: 'unwound', h: 'Un\u00adwound', g: '', f: fmt.count, warn: true },
      { k: 'exited', h: 'Exited', g: '', f: fmt.count, warn: true },
      { k: 'runtime_total', h: 'Total', g: 'Runtime', f: fmt.dur },
      { k: 'runtime_mean', h: 'Mean', g: 'Runtime', f: fmt.dur },
      { k: 'runtime_p50', h: 'p50', g: 'Runtime', f: fmt.dur },
      { k: 'runtime_p90', h: 'p90', g: 'Runtime', f: fmt.dur },
      { k: 'runtime_p99', h: 'p99', g: 'Runtime', f: fmt.dur },
      { k: 'runtime_max', h: 'Max', g: 'Runtime', f: fmt.dur },
      { k: 'cpu_user_mean', h: 'User', g: 'CPU / invocation', f: fmt.dur },
      { k: 'cpu_system_mean', h: 'System', g: 'CPU / invocation', f: fmt.dur },
      { k: 'share_cpu', h: 'CPU', g: 'Share of runtime', f: fmt.pct },
      { k: 'share_iowait', h: 'IO wait', g: 'Share of runtime', f: fmt.pct },
      { k: 'share_other', h: 'Other', g: 'Share of runtime', f: fmt.pct },
      { k: 'read_bytes', h: 'Read', g: 'Disk and network', f: fmt.bytes },
      { k: 'write_bytes', h: 'Written', g: 'Disk and network', f: fmt.bytes },
      { k: 'sent_bytes', h: 'Sent', g: 'Disk and network', f: fmt.bytes },
      { k: 'received_bytes', h: 'Re\u00adceived', g: 'Disk and network', f: fmt.bytes },
      { k: 'memory_peak_mb_max', h: 'Peak', g: 'Memory', f: fmt.mib },
      { k: 'allocations_mean', h: 'Allocs / inv.', g: 'Memory', f: fmt.num },
      { k: 'exceptions', h: 'Excep\u00adtions', g: '', f: fmt.count, warn: true }
    ];
  }

  // One table for all sessions, a body each, so base and new line up
  // column by column; sorting orders each body on its own.
  TP.statsTable = function (allStats, roles, taskIndex) {
    var COLS = columns();
    var sort = { k: 'runtime_total', dir: -1 };
    var bodies = allStats.map(function (st, i) {
      var title = allStats.length > 1 ? el('tr', { class: 'tp-sess-row' }, el('th', { colspan: COLS.length, class: 'tp-l' },
        roles[i] ? el('span', { class: 'tp-role tp-role-' + roles[i].toLowerCase(), text: roles[i] }) : null,
        'Session ' + st.session)) : null;
      return { rows: st.tasks.slice(), head: title, node: el('tbody') };
    });
    var heads = COLS.map(function (c) {
      return el('th', { class: c.text ? 'tp-l tp-sort' : 'tp-sort', text: c.h, title: 'sort by ' + c.h.replace(/\u00ad/g, ''),
        onclick: function () { resort(c.k); } });
    });
    var groups = [];
    COLS.forEach(function (c) {
      var last = groups[groups.length - 1];
      if (last && last.g === c.g && c.g) last.n++;
      else groups.push({ g: c.g, n: 1 });
    });
    var table = el('table', { class: 'tp-table tp-stats' },
      el('thead', null,
        el('tr', { class: 'tp-groups' }, groups.map(function (g) {
          return el('th', { colspan: g.n, class: g.g ? 'tp-group' : null, text: g.g });
        })),
        el('tr', null, heads)),
      bodies.map(function (b) { return b.node; }));

    function resort(k) {
      sort.dir = sort.k === k ? -sort.dir : (k === 'task' ? 1 : -1);
      sort.k = k;
      render();
    }
    function render() {
      heads.forEach(function (th, i) {
        th.classList.toggle('tp-asc', COLS[i].k === sort.k && sort.dir > 0);
        th.classList.toggle('tp-desc', COLS[i].k === sort.k && sort.dir < 0);
      });
      bodies.forEach(function (b) {
        b.rows.sort(function (x, y) { return cmp(x[sort.k], y[sort.k]) * sort.dir; });
        b.node.textContent = '';
        if (b.head) b.node.appendChild(b.head);
        if (!b.rows.length) {
          b.node.appendChild(el('tr', null, el('td', { colspan: COLS.length, class: 'tp-empty',
            text: 'no invocations' })));
        }
        b.rows.forEach(function (r) { b.node.appendChild(statsRow(r, COLS, taskIndex)); });
      });
    }
    render();
    return el('div', { class: 'tp-scroll-x' }, table);
  };

  // Missing values sort last whichever way the column is sorted.
  function cmp(a, b) {
    var na = a === null || a === undefined, nb = b === null || b === undefined;
    if (na || nb) return na && nb ? 0 : (na ? 1 : -1);
    if (typeof a === 'string') return a.localeCompare(b);
    return a - b;
  }

  function statsRow(r, COLS, taskIndex) {
    return el('tr', null, COLS.map(function (c) {
      var v = r[c.k];
      if (c.text) return el('td', { class: 'tp-l tp-task', title: v }, TP.chip(taskIndex(v)), v);
      var cls = (c.warn && v > 0) ? 'tp-bad' : (v === null || v === undefined ? 'tp-null' : null);
      var title = null;
      if (c.k === 'share_other' && v < 0) {
        cls = 'tp-neg';
        title = 'negative: threads or children ran in parallel, so CPU time exceeds wall time';
      }
      return el('td', { class: cls, title: title, text: c.f(v) });
    }));
  }

  TP.chip = function (i) {
    return el('span', { class: 'tp-chip', style: 'background:' + TP.taskColor(i < 0 ? 0 : i) });
  };

  var METRIC = {
    runtime: 'runtime', cpu: 'CPU time', iowait: 'IO wait', read_bytes: 'read',
    write_bytes: 'written', sent_bytes: 'sent', received_bytes: 'received', memory_peak: 'peak memory'
  };
  var ORDER = { regressed: 0, improved: 1, added: 2, removed: 3, same: 4 };
  var MARK = { regressed: '▲ regressed', improved: '▼ improved', same: '= same',
    added: '+ added', removed: '− removed' };

  function inUnit(unit, v) {
    if (unit === 's') return fmt.dur(v);
    if (unit === 'bytes') return fmt.bytes(v);
    if (unit === 'MiB') return fmt.mib(v);
    return fmt.num(v) + (unit ? ' ' + unit : '');
  }

  TP.diffTable = function (diff, taskIndex) {
    // Regressions first: they are what a reader of a comparison looks for.
    var tasks = diff.tasks.slice().sort(function (a, b) {
      return (a.verdict in ORDER ? ORDER[a.verdict] : 9) - (b.verdict in ORDER ? ORDER[b.verdict] : 9);
    });
    var counts = {};
    tasks.forEach(function (t) { counts[t.verdict] = (counts[t.verdict] || 0) + 1; });
    var summary = el('p', { class: 'tp-diff-sum' },
      ['regressed', 'improved', 'same', 'added', 'removed'].filter(function (v) { return counts[v]; })
        .map(function (v) {
          return el('span', { class: 'tp-verdict tp-v-' + v, text: counts[v] + ' ' + v });
        }));
    var lists = ['added', 'removed'].map(function (v) {
      var names = tasks.filter(function (t) { return t.verdict === v; }).map(function (t) { return t.task; });
      return names.length ? el('p', { class: 'tp-diff-list' }, el('b', { text: v === 'added' ?
        'Only in NEW: ' : 'Only in BASE: ' }), names.join(', ')) : null;
    });
    var tbody = el('tbody');
    tasks.forEach(function (t) { diffRows(t, taskIndex).forEach(function (r) { tbody.appendChild(r); }); });
    var table = el('table', { class: 'tp-table tp-diff' },
      el('thead', null, el('tr', null, ['Task', 'Verdict', 'Metric', 'Base median', 'New median',
        'Change', 'p', 'n base', 'n new', 'U', 'Metric verdict'].map(function (h, i) {
        return el('th', { class: i < 3 || i === 10 ? 'tp-l' : null, text: h });
      }))), tbody);
    var toggle = el('label', { class: 'tp-toggle' }, el('input', { type: 'checkbox',
      onchange: function (e) { table.classList.toggle('tp-all', e.target.checked); } }),
    ' show unchanged metrics too');
    return el('div', null,
      el('p', { class: 'tp-note' }, 'BASE is session ' + diff.base + ', NEW is session ' + diff.new +
        '. Per metric: Mann-Whitney U test on the invocations; a change counts when p < ' +
        diff.alpha + ', the medians differ by more than ' + diff.threshold_pct + ' %, and by ' +
        'at least ' + fmt.dur(diff.floor_time) + ', ' + fmt.bytes(diff.floor_bytes) + ' or ' +
        fmt.sig(diff.floor_memory_mb) + ' MiB (smaller changes are noise, whatever p says).'),
      summary, lists, toggle, el('div', { class: 'tp-scroll-x' }, table));
  };

  function diffRows(t, taskIndex) {
    var few = t.few ? el('span', { class: 'tp-few', text: '⚠ few samples',
      title: 'a side has fewer than 9 invocations: the test can hardly tell a change' }) : null;
    var metrics = t.metrics || [];
    // Only the changed metrics and runtime show at first; the rest are a
    // click away, so a long comparison stays scannable.
    var shown = metrics.filter(function (m) {
      return m.metric === 'runtime' || m.verdict !== 'same' || m.nested;
    });
    if (!shown.length) shown = metrics.slice(0, 1);
    var ordered = shown.concat(metrics.filter(function (m) { return shown.indexOf(m) < 0; }));
    var head = [
      el('td', { class: 'tp-l tp-task', title: t.task, rowspan: Math.max(1, shown.length) },
        TP.chip(taskIndex(t.task)), t.task, few),
      el('td', { class: 'tp-l', rowspan: Math.max(1, shown.length) },
        el('span', { class: 'tp-verdict tp-v-' + t.verdict, text: MARK[t.verdict] || t.verdict }))
    ];
    if (!metrics.length) {
      return [el('tr', { class: 'tp-tgroup' }, head, el('td', { colspan: 9, class: 'tp-l tp-null',
        text: t.verdict === 'added' ? 'new task: no base to compare with' :
          t.verdict === 'removed' ? 'not run in NEW' : 'no metrics' }))];
    }
    return ordered.map(function (m, i) {
      var cells = [
        el('td', { class: 'tp-l', text: METRIC[m.metric] || m.metric }),
        el('td', { text: inUnit(m.unit, m.base_median) }),
        el('td', { text: inUnit(m.unit, m.new_median) }),
        el('td', { class: 'tp-c-' + m.verdict, text: fmt.change(m.change_pct) }),
        el('td', { text: fmt.pval(m.p) }),
        el('td', { text: fmt.count(m.n_base) }),
        el('td', { text: fmt.count(m.n_new) }),
        el('td', { text: fmt.num(m.u) }),
        el('td', { class: 'tp-l' }, el('span', { class: 'tp-mv tp-c-' + m.verdict, text: m.verdict }),
          m.nested ? el('span', { class: 'tp-nested', text: ' change in nested tasks',
            title: 'less the declared tasks that ran inside it, this task did not change: ' +
              'the change is theirs' }) : null)
      ];
      var quiet = i >= shown.length;
      // A hidden metric still needs its task's name beside it when shown.
      var lead = i === 0 ? head : (quiet ? [el('td', { class: 'tp-l tp-dim', colspan: 2, text: t.task })] : []);
      return el('tr', { class: (i === 0 ? 'tp-tgroup' : '') + (quiet ? ' tp-quiet' : '') }, lead, cells);
    });
  }
})(window.TP = window.TP || {});
