/* report/index.html: the compact verdict table, "my stack" and the details panel, drawn from the
   packed data block (djspec/report_html.py page_data). No network, no library.
   URL fragments: #claim/<id> opens a claim; #matrix?topic=..&article=..&verdict=..&db=..&q=..&mismatch=1
   restores the table's filters; #stack?django=4.2&db=pg&to=5.2 asks "my stack". */
(function () {
  'use strict';
  var D, claimById = {}, topicById = {}, articleByFile = {}, rows = {}, topicRows = {};
  var envAt = {};      // column key -> database group -> env index
  var lastView = '';   // the fragment to return to when the panel closes
  var $ = function (id) { return document.getElementById(id); };

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function unpack() {
    var text = $('djspec-data').textContent.trim();
    var binary = atob(text), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }

  // ------------------------------------------------------------------ verdicts
  function verdictAt(c, envIndex) { return D.verdicts[+c.v[envIndex]]; }
  function markOf(verdict) { return D.marks[D.verdicts.indexOf(verdict)]; }
  function cls(verdict) { return 'v-' + verdict.replace('n/a', 'na').replace(' ', '-'); }
  function mark(verdict, title) {
    return '<span class="m ' + cls(verdict) + '" title="' + esc(title || verdict) + '">' + esc(markOf(verdict)) + '</span>';
  }
  function envsOf(c, colKey, db) {
    // the envs whose verdict a cell shows: one per database, or the SQLite one for a database-free claim
    var at = envAt[colKey] || {};
    if (c.anydb) {
      var first = at.sqlite !== undefined ? at.sqlite : at[Object.keys(at)[0]];
      return first === undefined ? [] : [['any', first]];
    }
    return Object.keys(at).filter(function (g) { return !db || g === db; }).map(function (g) { return [g, at[g]]; });
  }
  function stackEnv(colKey, db, c) {
    var at = envAt[colKey] || {};
    if (c && c.anydb && at.sqlite !== undefined) return at.sqlite;
    return at[db];
  }

  function fromText(c) {
    var groups = Object.keys(c.from || {});
    if (groups.length > 1) groups = groups.filter(function (g) { return g !== 'pg-psycopg2'; });
    var values = groups.map(function (g) { return c.from[g]; });
    var same = values.every(function (v) { return v === values[0]; });
    var found = !values.length ? '' : same ? values[0]
      : groups.map(function (g) { return D.dbs[g].short + ' ' + c.from[g]; }).join(' ');
    if (!c.claimed_short) return esc(found);
    var flag = c.agrees === false ? '<span class="ne" title="the claim says ' + esc(c.claimed) + '; the runs disagree">≠'
      : '<span class="eq" title="the claim says ' + esc(c.claimed) + '; the runs agree">=';
    return esc(found) + ' ' + flag + esc(c.claimed_short) + '</span>';
  }

  // ------------------------------------------------------------------ the compact table
  function drawMatrix() {
    var ncols = D.columns.length, html = [];
    topicsInOrder().forEach(function (t) {
      var mine = D.claims.filter(function (c) { return c.topic === t.id; });
      html.push('<tr class="topic" data-topic="' + esc(t.id) + '"><td colspan="2"><a href="#matrix?topic=' +
        encodeURIComponent(t.id) + '">' + esc(t.title) + '</a> <span class="n">(' + mine.length + ')</span></td><td colspan="' +
        ncols + '"></td></tr>');
      mine.forEach(function (c) { html.push(rowHtml(c, '')); });
    });
    $('matrix-body').innerHTML = html.join('');
    [].forEach.call($('matrix-body').querySelectorAll('tr.row'), function (tr) { rows[tr.dataset.id] = tr; });
    [].forEach.call($('matrix-body').querySelectorAll('tr.topic'), function (tr) { topicRows[tr.dataset.topic] = tr; });
  }

  function rowHtml(c, db) {
    var head = '<tr class="row" data-id="' + esc(c.id) + '"><td class="claim" title="' + esc(c.id + ': ' + c.statement) +
      '"><a class="cid" href="#claim/' + esc(c.id) + '">' + esc(c.id) + '</a><span class="st">' + esc(c.statement) + '</span></td>';
    if (c.untestable) {
      return head + '<td></td><td class="opinion" colspan="' + D.columns.length + '" title="' + esc(c.untestable) +
        '">' + mark('untestable') + ' opinion: ' + esc(c.untestable) + '</td></tr>';
    }
    var cells = D.columns.map(function (col) {
      var shown = envsOf(c, col.key, db);
      var title = col.label + ': ' + shown.map(function (p) {
        return D.dbs[p[0]].label + ' ' + verdictAt(c, p[1]);
      }).join(' · ');
      return '<td class="v" title="' + esc(title) + '">' + shown.map(function (p) {
        return mark(verdictAt(c, p[1]), D.dbs[p[0]].label + ': ' + verdictAt(c, p[1]));
      }).join('') + '</td>';
    });
    return head + '<td class="from">' + fromText(c) + '</td>' + cells.join('') + '</tr>';
  }

  function topicsInOrder() {
    // opinions (a topic with no testable claim: the advice) read best after the checked topics
    var opinions = function (t) { return D.claims.every(function (c) { return c.topic !== t.id || c.untestable; }); };
    return D.topics.filter(function (t) { return !opinions(t); }).concat(D.topics.filter(opinions));
  }

  var filterIds = {article: 'f-article', topic: 'f-topic', verdict: 'f-verdict', db: 'f-db', q: 'f-text', mismatch: 'f-mismatch'};
  function filterState() {
    var s = {};
    Object.keys(filterIds).forEach(function (k) {
      var el = $(filterIds[k]);
      var v = el.type === 'checkbox' ? (el.checked ? '1' : '') : el.value;
      if (v) s[k] = v;
    });
    return s;
  }
  function setFilters(params) {
    Object.keys(filterIds).forEach(function (k) {
      var el = $(filterIds[k]), v = params.get(k) || '';
      if (el.type === 'checkbox') el.checked = v === '1'; else el.value = v;
    });
  }
  var drawnDb = '';
  function applyFilters(updateUrl) {
    var s = filterState(), q = (s.q || '').toLowerCase(), shown = {}, n = 0;
    if ((s.db || '') !== drawnDb) {  // a database filter redraws the marks of that database only
      drawnDb = s.db || '';
      D.claims.forEach(function (c) {
        var tr = rows[c.id], fresh = document.createElement('tbody');
        fresh.innerHTML = rowHtml(c, drawnDb);
        var row = fresh.firstChild;
        tr.parentNode.replaceChild(row, tr);
        rows[c.id] = row;
      });
    }
    D.claims.forEach(function (c) {
      var ok = (!s.topic || c.topic === s.topic) &&
        (!s.article || (s.article === 'docs' ? c.sources.every(function (x) { return !x[0]; })
          : c.sources.some(function (x) { return x[0] === s.article; }))) &&
        (!s.verdict || hasVerdict(c, s.verdict, s.db)) &&
        (!s.mismatch || c.agrees === false) &&
        (!q || (c.id + ' ' + c.statement + ' ' + c.sources.map(function (x) { return x[1]; }).join(' ')).toLowerCase().indexOf(q) >= 0);
      rows[c.id].hidden = !ok;
      if (ok) { shown[c.topic] = (shown[c.topic] || 0) + 1; n++; }
    });
    Object.keys(topicRows).forEach(function (t) { topicRows[t].hidden = !shown[t]; });
    $('f-count').textContent = n + ' of ' + D.claims.length + ' claims';
    if (updateUrl) {
      var p = new URLSearchParams(s).toString();
      history.replaceState(null, '', '#matrix' + (p ? '?' + p : ''));
      lastView = location.hash;
    }
  }
  function hasVerdict(c, verdict, db) {
    if (c.untestable) return verdict === 'untestable';
    return D.envs.some(function (e, i) { return (!db || c.anydb || e.db === db) && verdictAt(c, i) === verdict; });
  }

  // ------------------------------------------------------------------ my stack
  function colByLabel(label) { return D.columns.filter(function (c) { return c.label === label; })[0]; }
  function fillStack(params) {
    var dj = $('s-django'), db = $('s-db'), to = $('s-to');
    if (!dj.options.length) {
      dj.innerHTML = '<option value="">choose…</option>' + D.columns.map(function (c) {
        return '<option value="' + esc(c.label) + '">' + esc(c.label) + '</option>'; }).join('');
      to.innerHTML = '<option value="">(no upgrade)</option>' + D.columns.map(function (c) {
        return '<option value="' + esc(c.label) + '">' + esc(c.label) + '</option>'; }).join('');
    }
    if (params) { dj.value = params.get('django') || ''; to.value = params.get('to') || ''; }
    var col = colByLabel(dj.value), want = params ? params.get('db') : db.value;
    var groups = col ? col.dbs : ['sqlite', 'pg'];
    db.innerHTML = groups.map(function (g) { return '<option value="' + esc(g) + '">' + esc(D.dbs[g].label) + '</option>'; }).join('');
    db.value = groups.indexOf(want) >= 0 ? want : groups[0];
  }

  function drawStack(updateUrl) {
    var dj = $('s-django').value, db = $('s-db').value, to = $('s-to').value, out = $('stack-out');
    if (updateUrl) {
      var p = new URLSearchParams({django: dj, db: db});
      if (to) p.set('to', to);
      history.replaceState(null, '', dj ? '#stack?' + p.toString() : '#stack');
      lastView = location.hash;
    }
    var col = colByLabel(dj);
    if (!col) { out.innerHTML = '<p class="small">Choose a Django version.</p>'; return; }
    var here = stackEnv(col.key, db);
    if (here === undefined) { out.innerHTML = '<p>No env ran ' + esc(D.dbs[db].label) + ' on Django ' + esc(dj) + '.</p>'; return; }
    var col2 = to && to !== dj ? colByLabel(to) : null;
    var there = col2 ? stackEnv(col2.key, db) : undefined;
    var env = D.envs[here], html = [];
    var counts = {};
    D.claims.forEach(function (c) { var v = verdictAt(c, stackEnv(col.key, db, c)); counts[v] = (counts[v] || 0) + 1; });
    html.push('<p class="counts" data-env="' + esc(env.env) + '">On Django ' + esc(env.django) + ' with ' + esc(D.dbs[db].label) +
      ' (env ' + esc(env.env) + ', ' + esc(env.dbtext) + '): ' + D.verdicts.filter(function (v) { return counts[v]; }).map(function (v) {
        return '<span data-verdict="' + esc(v) + '" data-n="' + counts[v] + '">' + mark(v) + ' ' + counts[v] + ' ' + esc(v) + '</span>';
      }).join('') + '</p>');
    if (col2 && there === undefined) html.push('<p>No env ran ' + esc(D.dbs[db].label) + ' on Django ' + esc(to) + '.</p>');
    if (col2 && there !== undefined) html.push(upgradeHtml(col, col2, db));
    html.push('<h3>Every claim on Django ' + esc(dj) + (col2 && there !== undefined ? ' → ' + esc(to) : '') + ', by topic</h3>');
    topicsInOrder().forEach(function (t) {
      var mine = D.claims.filter(function (c) { return c.topic === t.id; });
      var tc = {};
      mine.forEach(function (c) { var v = verdictAt(c, stackEnv(col.key, db, c)); tc[v] = (tc[v] || 0) + 1; });
      html.push('<details><summary><b>' + esc(t.title) + '</b> <span class="small">' + D.verdicts.filter(function (v) { return tc[v]; })
        .map(function (v) { return markOf(v) + ' ' + tc[v]; }).join(' · ') + '</span></summary><ul>' + mine.map(function (c) {
          var v = verdictAt(c, stackEnv(col.key, db, c));
          var after = col2 && there !== undefined ? ' → ' + mark(verdictAt(c, stackEnv(col2.key, db, c))) : '';
          return '<li>' + mark(v) + after + ' <a href="#claim/' + esc(c.id) + '">' + esc(c.id) + '</a> ' + esc(c.statement) + '</li>';
        }).join('') + '</ul></details>');
    });
    out.innerHTML = html.join('');
  }

  function upgradeHtml(col, col2, db) {
    var groups = {api: [], better: [], worse: [], other: []};
    D.claims.forEach(function (c) {
      if (c.untestable) return;
      var a = verdictAt(c, stackEnv(col.key, db, c)), b = verdictAt(c, stackEnv(col2.key, db, c));
      if (a === b) return;
      var item = '<li>' + mark(a) + ' → ' + mark(b) + ' <a href="#claim/' + esc(c.id) + '">' + esc(c.id) + '</a> ' + esc(c.statement) + '</li>';
      if (b === 'holds' && c.kind === 'api') groups.api.push(item);
      else if (b === 'holds') groups.better.push(item);
      else if (a === 'holds') groups.worse.push(item);
      else groups.other.push(item);
    });
    var n = groups.api.length + groups.better.length + groups.worse.length + groups.other.length;
    var titles = {api: 'APIs that appear', better: 'Claims that become true', worse: 'Claims that stop holding',
                  other: 'Other changes (n/a, partly, refuted, …)'};
    return '<h3 data-changes="' + n + '">Moving from ' + esc(col.label) + ' to ' + esc(col2.label) + ': ' + n +
      ' verdict(s) change</h3>' + Object.keys(groups).filter(function (k) { return groups[k].length; }).map(function (k) {
        return '<details open><summary>' + esc(titles[k]) + ' (' + groups[k].length + ')</summary><ul>' + groups[k].join('') + '</ul></details>';
      }).join('');
  }

  // ------------------------------------------------------------------ the details panel
  function sourceHtml(s) {
    var article = s[0], section = s[1], doc = s[2], said = s[3], a = articleByFile[article];
    var where = a ? '<b>' + esc(a.short) + '</b> ' + esc(a.title) + ' <span class="small">(' + esc(article) + ')</span>'
      : doc ? '<a href="' + esc(doc) + '">' + esc(doc.replace('https://docs.djangoproject.com/en/', 'Django docs ')) + '</a>'
      : '<b>' + esc(article || 'Django') + '</b>';
    return '<li>' + where + (section ? ' § ' + esc(section) : '') + (said ? ' <span class="small">(docs ' + esc(said) + ' say so)</span>' : '') + '</li>';
  }

  function testHtml(pair) {
    var t = D.tests[pair[0]], relation = pair[1];
    var link = D.source_url ? '<a href="' + esc(D.source_url.replace('{file}', t.file).replace('{line}', t.line)) + '">' +
      esc(t.file) + ':' + t.line + '</a>' : esc(t.file) + ':' + t.line;
    return '<details' + (relation !== 'measures' ? ' open' : '') + '><summary><code>' + esc(t.name.split('::').slice(1).join('::')) +
      '</code> <span class="small">' + esc(relation) + ' · ' + link + '</span></summary>' +
      (t.doc ? '<p>' + esc(t.doc) + '</p>' : '') + (t.code ? '<pre class="code">' + esc(t.code) + '</pre>' : '') + '</details>';
  }

  function openClaim(id) {
    var c = claimById[id];
    if (!c) { closePanel(); return false; }
    var topic = topicById[c.topic], h = [];
    h.push('<h3>' + esc(c.id) + '</h3><p class="small"><a href="#matrix?topic=' + encodeURIComponent(c.topic) + '">' +
      esc(topic ? topic.title : c.topic) + '</a> · ' + esc(c.kind) + ' · <a href="#claim/' + esc(c.id) + '">permalink</a></p>');
    h.push('<p>' + esc(c.statement) + '</p>');
    if (c.note) h.push('<p class="small"><b>Note:</b> ' + esc(c.note) + '</p>');
    if (c.untestable) h.push('<p><b>Opinion, not testable:</b> ' + esc(c.untestable) + '</p>');
    if (!c.untestable) {
      h.push('<h4>Versions</h4><table><tbody>');
      if (c.claimed) h.push('<tr><th>the claim says</th><td>' + esc(c.claimed) + (c.agrees === false ? ' <span class="ne">≠ the runs</span>'
        : c.agrees ? ' <span class="eq">= the runs</span>' : '') + '</td></tr>');
      Object.keys(c.summary).forEach(function (g) {
        h.push('<tr><th>' + esc(D.dbs[g] ? D.dbs[g].label : g) + '</th><td>' + (c.from[g] ? '<b>from ' + esc(c.from[g]) + '</b>; ' : '') +
          esc(c.summary[g]) + (c.runs && c.runs[g] ? ' <span class="small">(against the claim: ' + esc(c.runs[g]) + ')</span>' : '') + '</td></tr>');
      });
      h.push('</tbody></table>');
    }
    h.push('<h4>Sources</h4><ul>' + c.sources.map(sourceHtml).join('') + '</ul>');
    if (!c.untestable) {
      h.push('<h4>Per env</h4><table><thead><tr><th>env</th><th>Django</th><th>verdict</th><th>observed</th></tr></thead><tbody>');
      D.envs.forEach(function (e, i) {
        var v = verdictAt(c, i), obs = (c.obs && c.obs[i]) || [], fail = (c.fail && c.fail[i]) || [];
        h.push('<tr><td>' + esc(e.env) + '</td><td>' + esc(e.django) + '</td><td class="' + cls(v) + '">' + esc(markOf(v) + ' ' + v) +
          '</td><td>' + (obs.length ? '<pre>' + esc(obs.map(function (k) { return D.strings[k]; }).join('\n')) + '</pre>' : '') +
          (fail.length ? '<pre class="fail">' + esc(fail.map(function (k) { return D.strings[k]; }).join('\n\n')) + '</pre>' : '') + '</td></tr>');
      });
      h.push('</tbody></table>');
      if (c.benchmark) {
        h.push('<h4>Benchmark</h4><pre>' + esc(Object.keys(c.benchmark).map(function (env) {
          return env + ': ' + Object.keys(c.benchmark[env]).map(function (k) {
            var b = c.benchmark[env][k]; return k + ' ' + b.median + ' [' + b.min + '–' + b.max + ']'; }).join('; ');
        }).join('\n')) + '</pre>');
      }
      h.push('<h4>Tests (' + c.tests.length + ')</h4>' + c.tests.map(testHtml).join(''));
    }
    $('panel-body').innerHTML = h.join('');
    var panel = $('panel');
    panel.hidden = false;
    panel.scrollTop = 0;
    [].forEach.call(document.querySelectorAll('tr.row.open'), function (tr) { tr.classList.remove('open'); });
    if (rows[id]) rows[id].classList.add('open');
    document.title = c.id + ' · django-async-spec';
    return true;
  }

  function closePanel() {
    $('panel').hidden = true;
    [].forEach.call(document.querySelectorAll('tr.row.open'), function (tr) { tr.classList.remove('open'); });
    document.title = 'django-async-spec: what the articles claim about async Django, checked';
  }

  // ------------------------------------------------------------------ URL fragments
  function route() {
    var raw = location.hash.slice(1), q = raw.indexOf('?');
    var name = decodeURIComponent(q < 0 ? raw : raw.slice(0, q)), params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    if (name.indexOf('claim/') === 0) { openClaim(name.slice(6)); return; }
    if (claimById[name]) { openClaim(name); return; }  // the old row anchors (#<claim id>)
    closePanel();
    lastView = location.hash;
    if (name === 'matrix' && q >= 0) { setFilters(params); applyFilters(false); }
    if (name === 'stack' && q >= 0) { fillStack(params); drawStack(false); }
    var target = $(name);
    if (target && q >= 0) target.scrollIntoView();
  }

  function start(data) {
    D = data;
    D.claims.forEach(function (c) { claimById[c.id] = c; });
    D.topics.forEach(function (t) { topicById[t.id] = t; });
    D.articles.forEach(function (a) { articleByFile[a.file] = a; });
    D.envs.forEach(function (e, i) { (envAt[e.col] = envAt[e.col] || {})[e.db] = i; });
    drawMatrix();
    [].forEach.call(document.querySelectorAll('td.statement'), function (td) {  // static tables' statements
      var c = claimById[td.querySelector('a').getAttribute('href').slice(7)];
      if (c) td.insertAdjacentHTML('beforeend', '<br><span class="small">' + esc(c.statement) + '</span>');
    });
    Object.keys(filterIds).forEach(function (k) {
      $(filterIds[k]).addEventListener('input', function () { applyFilters(true); });
      $(filterIds[k]).addEventListener('change', function () { applyFilters(true); });
    });
    applyFilters(false);
    fillStack(null);
    $('s-django').addEventListener('change', function () { fillStack(null); drawStack(true); });
    $('s-db').addEventListener('change', function () { drawStack(true); });
    $('s-to').addEventListener('change', function () { drawStack(true); });
    drawStack(false);
    $('matrix-body').addEventListener('click', function (e) {
      var tr = e.target.closest('tr.row');
      if (tr && !e.target.closest('a')) location.hash = '#claim/' + tr.dataset.id;
    });
    $('panel-close').addEventListener('click', function () {
      closePanel();
      history.replaceState(null, '', lastView || location.pathname + location.search);
    });
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && !$('panel').hidden) $('panel-close').click(); });
    window.addEventListener('hashchange', route);
    route();
    document.body.dataset.ready = '1';
  }

  if (typeof DecompressionStream === 'undefined') {
    $('matrix-body').innerHTML = '<tr><td>This browser cannot unpack the page\'s data (no DecompressionStream); ' +
      'report.md and report.json next to this page have the same content.</td></tr>';
    return;
  }
  unpack().then(start).catch(function (err) {
    console.error('djspec report: ' + err);
    $('matrix-body').innerHTML = '<tr><td>The page\'s data could not be read: ' + esc(err) + '</td></tr>';
  });
})();
