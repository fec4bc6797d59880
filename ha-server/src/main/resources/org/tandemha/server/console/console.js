/* Tandem web console: plain JavaScript, no dependencies. Data comes from the node that served this page (status,
   event stream) and from the peers it lists (server.peers: their events and status, same token). */
(function () {
  'use strict';
  var KEY = 'tandem.token';
  var PEER_EVERY = 2000, STATUS_EVERY = 1000;
  var st = {
    token: sessionStorage.getItem(KEY), info: null,
    status: null, statusAt: 0, statusError: null, lastOk: 0,   // the serving node's view
    peers: {},              // url -> {url, node, status, statusAt, ok, error, after, lastOk}
    events: new Map(),      // node + ':' + id -> event
    results: [],            // this page's command results
    closed: new Set(),      // takeovers the operator folded (they open expanded)
    streamOk: false, filterGroup: '', filterKind: ''
  };
  var $ = function (id) { return document.getElementById(id); };
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function ago(ms) {
    if (ms == null || isNaN(ms)) return 'never';
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms ago';
    if (ms < 120000) return (ms / 1000).toFixed(1) + ' s ago';
    return Math.round(ms / 60000) + ' min ago';
  }
  function secs(ms) { return ms < 10000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000)); }
  function time(iso) {
    if (!iso) return '';
    var d = new Date(iso), p = function (n, w) { return String(n).padStart(w || 2, '0'); };
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3);
  }
  function api(base, path, opts) {
    opts = opts || {};
    var h = {'Authorization': 'Bearer ' + st.token};
    if (opts.body) h['Content-Type'] = 'application/json';
    return fetch((base || '') + path, {method: opts.method || 'GET', headers: h, body: opts.body, cache: 'no-store'})
      .then(function (r) {
        return r.text().then(function (t) {
          var j = null;
          try { j = t ? JSON.parse(t) : null; } catch (e) { j = {error: t}; }
          return {status: r.status, ok: r.ok, body: j};
        });
      });
  }

  // ------------------------------------------------------------------ sign in
  function showLogin(msg) {
    $('main').hidden = true; $('login').hidden = false; $('signout').hidden = true;
    $('login-error').textContent = msg || '';
    $('token').focus();
  }
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    st.token = $('token').value.trim();
    sessionStorage.setItem(KEY, st.token);
    begin();
  });
  $('signout').addEventListener('click', function () {
    sessionStorage.removeItem(KEY); location.reload();
  });

  function begin() {
    if (!st.token) { showLogin(''); return; }
    api('', '/api/v1/console').then(function (r) {
      if (r.status === 401 || r.status === 403) {
        sessionStorage.removeItem(KEY); st.token = null;
        showLogin('This node refused the token: ' + (r.body && r.body.error || r.status));
        return;
      }
      if (!r.ok) { showLogin('The node answered ' + r.status + ': ' + (r.body && r.body.error)); return; }
      st.info = r.body;
      $('login').hidden = true; $('main').hidden = false; $('signout').hidden = false;
      $('who').textContent = r.body.who + ' (' + r.body.role + ')';
      $('cluster').textContent = 'cluster ' + (r.body.cluster || '?');
      r.body.peers.forEach(function (u) { st.peers[u] = {url: u, after: 0, ok: false, error: 'not asked yet'}; });
      refreshStatus(); stream(); pollPeers();
      setInterval(refreshStatus, STATUS_EVERY);
      setInterval(pollPeers, PEER_EVERY);
      setInterval(render, 500);
    }, function (e) { showLogin('Cannot reach this node: ' + e); });
  }

  // ------------------------------------------------------------------ data
  var statusPending = false, statusAgain = false;
  function refreshStatus() {
    if (statusPending) { statusAgain = true; return; }
    statusPending = true;
    api('', '/api/v1/status').then(function (r) {
      if (r.ok) { st.status = r.body; st.statusAt = Date.now(); st.lastOk = st.statusAt; st.statusError = null; }
      else st.statusError = 'answered ' + r.status + ': ' + (r.body && r.body.error);
    }, function (e) { st.statusError = 'does not answer (' + e.message + ')'; })
      .then(function () {
        statusPending = false; render();
        if (statusAgain) { statusAgain = false; refreshStatus(); }
      });
  }

  function addEvent(e, fromNode) {
    var n = e.node || fromNode;
    var k = n + ':' + e.id;
    if (!st.events.has(k)) { e._node = n; e._t = Date.parse(e.time); st.events.set(k, e); }
  }

  /** The serving node's event stream, read with fetch (EventSource cannot send the Authorization header). */
  var lastStreamId = 0;
  function stream() {
    var h = {'Authorization': 'Bearer ' + st.token, 'Last-Event-ID': String(lastStreamId)};
    fetch('/api/v1/events/stream', {headers: h, cache: 'no-store'}).then(function (r) {
      if (!r.ok) throw new Error('answered ' + r.status);
      st.streamOk = true; render();
      var reader = r.body.getReader(), dec = new TextDecoder(), buf = '';
      function pump() {
        return reader.read().then(function (x) {
          if (x.done) throw new Error('the stream ended');
          buf += dec.decode(x.value, {stream: true});
          var i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            var block = buf.slice(0, i); buf = buf.slice(i + 2);
            var data = null, id = null;
            block.split('\n').forEach(function (line) {
              if (line.indexOf('data: ') === 0) data = line.slice(6);
              else if (line.indexOf('id: ') === 0) id = Number(line.slice(4));
            });
            if (data) {
              try { addEvent(JSON.parse(data), st.info.node); } catch (e) { /* a malformed event is skipped */ }
              if (id) lastStreamId = id;
              refreshStatus();
            }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      st.streamOk = false; render();
      setTimeout(stream, 1000);
    });
  }

  function pollPeers() {
    Object.keys(st.peers).forEach(function (u) {
      var p = st.peers[u];
      if (p.busy) return;
      p.busy = true;
      Promise.all([api(u, '/api/v1/events?limit=1000&after=' + p.after), api(u, '/api/v1/status')]).then(function (rs) {
        var ev = rs[0], s = rs[1];
        if (!ev.ok || !s.ok) {
          p.ok = false;
          p.error = (ev.ok ? s : ev).status === 401 ? 'refuses this token' : 'answered ' + (ev.ok ? s : ev).status;
          return;
        }
        if (s.body.localNode === st.info.node) { delete st.peers[u]; return; } // server.peers may list this node too
        ev.body.events.forEach(function (e) { addEvent(e, s.body.localNode); });
        p.after = ev.body.next;
        p.status = s.body; p.statusAt = Date.now(); p.lastOk = p.statusAt; p.node = s.body.localNode;
        p.ok = true; p.error = null;
      }, function (e) { p.ok = false; p.error = 'does not answer'; })
        .then(function () { p.busy = false; });
    });
  }

  // ------------------------------------------------------------------ view helpers
  function up(state) { return state === 'LOCAL' || state === 'REACHABLE'; }
  function nodeWords(s) {
    return {LOCAL: 'up', REACHABLE: 'up', UNREACHABLE: 'unreachable', DEAD: 'dead or fenced', UNKNOWN: 'unknown'}[s] || s;
  }
  function cls(ok) { return ok === true ? 'ok' : ok === false ? 'bad' : 'warn'; }
  /** The status to show: the serving node's, or, when it does not answer, the first answering peer's. */
  function view() {
    var own = st.status, ownFresh = own && !st.statusError;
    if (ownFresh || !own) {
      if (!own) {
        for (var u in st.peers) if (st.peers[u].ok) return {s: st.peers[u].status, at: st.peers[u].statusAt, by: st.peers[u].node, fallback: true};
      }
      return own ? {s: own, at: st.statusAt, by: own.localNode} : null;
    }
    for (var v in st.peers) {
      var p = st.peers[v];
      if (p.ok && p.status) return {s: p.status, at: p.statusAt, by: p.node, fallback: true};
    }
    return {s: own, at: st.statusAt, by: own.localNode};
  }
  /** When a peer was last heard by the viewing node: its newest lastSeen over the paths to it. */
  function lastHeard(s, peer) {
    var t = null;
    s.paths.forEach(function (p) {
      if (p.peer === peer && p.lastSeen) { var x = Date.parse(p.lastSeen); if (t == null || x > t) t = x; }
    });
    return t;
  }
  /** The age of what is shown: the view's age when served (ageMs) plus the time since it was fetched. */
  function statusAge(v) { return (typeof v.s.ageMs === 'number' ? v.s.ageMs : 0) + Date.now() - v.at; }
  /** A node's own status, when this page has a fresh one. */
  function statusOf(node) {
    if (st.status && st.status.localNode === node && !st.statusError) return st.status;
    for (var u in st.peers) if (st.peers[u].ok && st.peers[u].node === node) return st.peers[u].status;
    return null;
  }

  // ------------------------------------------------------------------ render
  function render() {
    if (!st.info) return;
    var v = view();
    var me = st.info.node;
    $('served').textContent = 'served by ' + me + (st.streamOk ? ' (live)' : ' (event stream down)');
    if (!v) { $('age').textContent = 'no status yet'; return; }
    var age = statusAge(v);
    $('age').textContent = 'view of ' + v.by + ', ' + secs(age) + ' s old';
    var s = v.s, others = s.nodes.filter(function (n) { return n.state !== 'LOCAL'; });
    var cutOff = others.length > 0 && others.every(function (n) { return !up(n.state); });
    var banner = [];
    if (st.statusError) {
      banner.push(me + ' (serving this page) ' + st.statusError + ' since ' + ago(Date.now() - st.lastOk).replace(' ago', '')
        + (v.fallback ? '; showing ' + v.by + '\'s view instead' : '; what is shown is as of then'));
    }
    if (cutOff) {
      banner.push(v.by + ' is cut off from its peers: it hears none of ' + others.map(function (n) { return n.node; }).join(', ')
        + ' on any path. Their state below is as last heard, not current.');
    } else if (s.stale) {
      banner.push(v.by + '\'s engine could not refresh its view: it is ' + secs(age) + ' s old.');
    }
    $('banner').hidden = banner.length === 0;
    $('banner').textContent = banner.join(' ');
    renderNodes(s, age);
    renderPaths(s, v.by);
    renderGroups(s);
    renderWhatIfChoices(s);
    renderTimeline();
  }

  function renderNodes(s) {
    var html = s.nodes.map(function (n) {
      var ok = up(n.state), extra = '';
      if (!ok && n.state !== 'LOCAL') {
        var h = lastHeard(s, n.node);
        extra = '<div class="muted lastheard">as last heard ' + esc(h ? ago(Date.now() - h) : 'never') + '</div>';
      }
      var standing = /stand(s|ing)? down/i.test(n.detail || '');
      return '<div class="card ' + (standing ? 'warn' : cls(ok)) + '" data-node="' + esc(n.node) + '" data-state="' + esc(n.state) + '">'
        + '<h3>' + esc(n.node) + (n.node === st.info.node ? ' <span class="muted">(serves this page)</span>' : '') + '</h3>'
        + '<span class="st ' + (standing ? 'warn' : cls(ok)) + '">' + esc(standing ? 'standing down' : nodeWords(n.state)) + '</span>'
        + ' <span class="muted">incarnation ' + esc(n.incarnation) + '</span>'
        + '<div class="muted">' + esc(n.detail) + '</div>' + pingLine(n) + extra + '</div>';
    }).join('');
    $('nodes').innerHTML = html;
  }
  /** How many of its ping hosts a node reaches (the ping section), as it last announced; '' without ping. */
  function pingLine(n) {
    if (n.pingHosts == null) return '';
    var known = typeof n.pingReachable === 'number';
    var ok = !known ? null : n.pingReachable === n.pingHosts ? true : n.pingReachable === 0 ? false : null;
    return '<div class="ping" data-ping-reachable="' + esc(known ? n.pingReachable : '') + '" data-ping-hosts="' + esc(n.pingHosts) + '">'
      + '<span class="st ' + cls(ok) + '">ping ' + esc(known ? n.pingReachable : '?') + '/' + esc(n.pingHosts) + '</span> <span class="muted">'
      + esc(known ? 'reaches ' + n.pingReachable + ' of its ' + n.pingHosts + ' ping hosts'
        : 'has not announced a count yet (' + n.pingHosts + ' ping hosts)') + '</span></div>';
  }

  function pathRows(s, by) {
    return s.paths.map(function (p) {
      var heard = p.lastSeen ? ago(Date.now() - Date.parse(p.lastSeen)) : 'never';
      return {key: [s.localNode, p.peer].sort().join(' \u2194 ') + '/' + p.name, html: '<tr data-path="' + esc(p.name) + '" data-peer="' + esc(p.peer) + '">'
        + '<td>' + esc(s.localNode) + ' \u2194 ' + esc(p.peer) + '</td><td>' + esc(p.name) + ' <span class="muted">' + esc(p.transport) + '</span></td>'
        + '<td><span class="st ' + cls(p.state === 'UP' ? true : p.state === 'DOWN' ? false : null) + '">' + esc(p.state) + '</span></td>'
        + '<td>' + (p.rttMs == null ? '\u2013' : esc(p.rttMs.toFixed(2)) + ' ms') + '</td>'
        + '<td>' + esc(p.lossPercent == null ? '\u2013' : p.lossPercent.toFixed(0) + ' %') + '</td>'
        + '<td>' + esc(heard) + '</td><td>' + esc(by) + '</td></tr>'};
    });
  }
  function renderPaths(s, by) {
    var rows = pathRows(s, by), seen = new Set(rows.map(function (r) { return r.key; }));
    Object.keys(st.peers).forEach(function (u) { // pairs the viewing node is not part of, as their nodes see them
      var p = st.peers[u];
      if (p.ok && p.status && p.node !== by) {
        pathRows(p.status, p.node).forEach(function (r) { if (!seen.has(r.key)) { seen.add(r.key); rows.push(r); } });
      }
    });
    document.querySelector('#paths tbody').innerHTML = rows.map(function (r) { return r.html; }).join('')
      || '<tr><td colspan="7">no heartbeat paths</td></tr>';
  }

  /** "Ready to fail over?": each item [ok true|false|null(unknown), text]. */
  function readiness(s, g) {
    var items = [], active = g.activeNode;
    var standbys = g.preferred.filter(function (n) { return n !== active; });
    var eligible = standbys.filter(function (n) {
      var ns = s.nodes.find(function (x) { return x.node === n; });
      return ns && up(ns.state) && g.blockedOn.indexOf(n) < 0;
    });
    items.push(eligible.length ? [true, 'eligible standby: ' + eligible.join(', ')]
      : [false, 'no eligible standby: ' + (standbys.length ? standbys.map(function (n) {
        var ns = s.nodes.find(function (x) { return x.node === n; });
        return n + ' ' + (g.blockedOn.indexOf(n) >= 0 ? 'blocked by a failure' : nodeWords(ns ? ns.state : 'UNKNOWN'));
      }).join(', ') : 'the group has one node')]);
    var sb = eligible[0] || standbys[0];
    if (sb && active) {
      var other = s.localNode === active ? sb : s.localNode === sb ? active : null;
      if (other) {
        var ps = s.paths.filter(function (p) { return p.peer === other; });
        var down = ps.filter(function (p) { return p.state !== 'UP'; });
        items.push([ps.length > 0 && down.length === 0, ps.length === 0 ? 'no heartbeat path between ' + active + ' and ' + sb
          : (ps.length - down.length) + ' of ' + ps.length + ' heartbeat paths between ' + active + ' and ' + sb + ' up'
          + (down.length ? '; down: ' + down.map(function (p) { return p.name; }).join(', ') : '')]);
      } else {
        items.push([null, 'paths between ' + active + ' and ' + sb + ': not seen by ' + s.localNode + ' (see the paths table)']);
      }
    } else if (!active) {
      items.push([false, 'the group runs nowhere: nothing to fail over']);
    }
    var inf = st.info;
    if (inf.arbiters == null) items.push([null, 'arbiters: unknown (the server was not given the configuration)']);
    else if (inf.arbiters.length === 0) items.push([inf.twoNodeWithoutArbiter ? null : false, 'no arbiter configured'
      + (inf.twoNodeWithoutArbiter ? ': a takeover trusts silence alone (quorum.twoNodeWithoutArbiter)' : ': no takeover is possible')]);
    else items.push([null, 'arbiters ' + inf.arbiters.map(function (a) { return a.id + ' (' + a.type + ')'; }).join(', ')
      + ': whether they answer is not in the status; their last answers are in the SAFETY_CHECK events']);
    var scsi = g.resources.some(function (r) { return /scsi/i.test(r.type || ''); });
    items.push(scsi ? [null, 'reservation key: unknown (the status does not expose SCSI registrations)']
      : [true, 'reservation key: not needed (no SCSI resource in this group)']);
    var failing = g.resources.filter(function (r) { return r.lastCheck && r.lastCheck.health !== 'OK'; });
    var block = [];
    if (!g.managed) block.push('in maintenance: the cluster will not fail it over');
    if (g.blockedOn.length) block.push('blocked on ' + g.blockedOn.join(', '));
    if (g.localState === 'FAILED') block.push('FAILED on ' + s.localNode);
    failing.forEach(function (r) { block.push(r.id + ': ' + r.lastCheck.health + ' (' + r.lastCheck.reason + ')'); });
    items.push(block.length ? [false, 'blocking: ' + block.join('; ')] : [true, 'no blocking failure']);
    return items;
  }

  function localBadge(s, g) {
    var standby = g.activeNode !== s.localNode && g.localState === 'OFFLINE';
    return '<span class="st ' + (standby ? '' : cls(g.localState === 'ONLINE' ? true : g.localState === 'FAILED' ? false : null)) + '">'
      + esc(s.localNode) + ': ' + esc(standby ? 'standby' : g.localState) + '</span>';
  }
  function renderGroups(s) {
    var canAct = st.info.actions && st.info.actions.length > 0;
    var html = s.groups.map(function (g) {
      var activeNs = s.nodes.find(function (x) { return x.node === g.activeNode; });
      var activeTxt = g.activeNode || 'nowhere';
      if (activeNs && !up(activeNs.state)) {
        var h = lastHeard(s, g.activeNode);
        activeTxt += ' (as last heard ' + (h ? ago(Date.now() - h) : 'never') + ')';
      }
      var activeView = g.activeNode && g.activeNode !== s.localNode ? statusOf(g.activeNode) : null;
      var ag = activeView && activeView.groups.find(function (x) { return x.group === g.group; });
      var resBy = ag ? g.activeNode : s.localNode;
      var res = (ag || g).resources.map(function (r) {
        var c = r.lastCheck;
        return '<tr data-resource="' + esc(r.id) + '"><td>' + esc(r.id) + ' <span class="muted">' + esc(r.type) + '</span></td>'
          + '<td><span class="st ' + (resBy === g.activeNode ? cls(r.running) : '') + '">' + (r.running ? 'running' : 'stopped') + '</span></td>'
          + '<td>' + (c ? '<span class="st ' + cls(c.health === 'OK' ? true : c.health === 'FAILED' ? false : null) + '">'
            + esc(c.health) + '</span> ' + esc(c.reason) : '<span class="muted">no check here</span>') + '</td>'
          + '<td>' + esc(r.lastCheckAt ? ago(Date.now() - Date.parse(r.lastCheckAt)) : '') + '</td></tr>';
      }).join('');
      var ready = readiness(s, g).map(function (it) {
        return '<li class="' + (it[0] === true ? 'ok' : it[0] === false ? 'bad' : 'unk') + '">' + esc(it[1]) + '</li>';
      }).join('');
      var buttons = '';
      if (canAct) {
        g.preferred.filter(function (n) { return n !== g.activeNode; }).forEach(function (n) {
          buttons += '<button type="button" data-act="switchover" data-group="' + esc(g.group) + '" data-target="' + esc(n) + '">Switch over to ' + esc(n) + '</button>';
        });
        buttons += '<button type="button" data-act="switchback" data-group="' + esc(g.group) + '">Switch back</button>';
        buttons += '<button type="button" data-act="maintenance" data-on="' + (g.managed ? 'true' : 'false') + '" data-group="' + esc(g.group) + '">'
          + (g.managed ? 'Maintenance on' : 'Maintenance off') + '</button>';
        buttons += '<button type="button" data-act="clear" data-group="' + esc(g.group) + '">Clear failures</button>';
      }
      return '<article class="group" data-group="' + esc(g.group) + '" data-active="' + esc(g.activeNode || '') + '" data-generation="' + esc(g.generation) + '">'
        + '<div class="head"><h3>' + esc(g.group) + '</h3><span>on <strong class="active">' + esc(activeTxt) + '</strong></span>'
        + '<span>generation ' + esc(g.generation) + '</span>' + localBadge(s, g) + (g.managed ? '' : '<span class="st warn">maintenance</span>')
        + '<span class="muted">' + esc(g.detail) + '</span></div>'
        + '<div class="cols"><div class="scroll"><table><caption class="muted">resources as ' + esc(resBy) + ' sees them</caption><thead><tr><th scope="col">Resource</th><th scope="col">State</th><th scope="col">Last check</th><th scope="col">When</th></tr></thead><tbody>'
        + res + '</tbody></table></div><div><h3>Ready to fail over?</h3><ul class="ready">' + ready + '</ul></div></div>'
        + (buttons ? '<div class="actions">' + buttons + '</div>' : '') + '</article>';
    }).join('');
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset : null;
    var key = focused && focused.act ? focused.act + '|' + focused.group + '|' + (focused.target || '') : null;
    if ($('groups').innerHTML !== html) {
      $('groups').innerHTML = html;
      if (key) { // keep the keyboard's place across the live refresh
        var b = Array.prototype.find.call($('groups').querySelectorAll('button[data-act]'), function (x) {
          return x.dataset.act + '|' + x.dataset.group + '|' + (x.dataset.target || '') === key;
        });
        if (b) b.focus();
      }
    }
  }

  // ------------------------------------------------------------------ timeline
  function sortedEvents() {
    var all = Array.from(st.events.values()).concat(st.results);
    all.sort(function (a, b) { return a._t - b._t || (a._node < b._node ? -1 : a._node > b._node ? 1 : 0) || a.id - b.id; });
    return all;
  }
  /** A takeover's steps on the node that took over: detection, safety check, claim, starts, finished. */
  function takeoverSteps(all, fin) {
    var node = fin._node, g = fin.group, startIdx = -1, i;
    for (i = all.indexOf(fin); i >= 0; i--) {
      if (all[i]._node === node && all[i].group === g && all[i].kind === 'FAILOVER_STARTED') { startIdx = i; break; }
    }
    if (startIdx < 0) return null;
    var begin = all[startIdx], steps = [], claim = null, safety = [], detect = null;
    for (i = startIdx - 1; i >= 0 && begin._t - all[i]._t < 120000; i--) {
      var e = all[i];
      if (e._node !== node) continue;
      if (!claim && e.kind === 'GROUP_CLAIMED' && e.group === g) claim = e;
      if (!detect && (e.kind === 'SAFETY_CHECK' || e.kind === 'FENCE')) safety.unshift(e);
      if (e.kind === 'PEER_UNREACHABLE') { detect = e; break; }
    }
    if (detect) steps.push(['detection', detect]);
    safety.forEach(function (e) { steps.push([e.kind === 'FENCE' ? 'fence' : 'safety check', e]); });
    if (claim) steps.push(['claim', claim]);
    steps.push(['takeover starts', begin]);
    for (i = startIdx + 1; i < all.length && all[i] !== fin; i++) {
      var x = all[i];
      if (x._node === node && x.group === g && /^RESOURCE_/.test(x.kind)) steps.push([x.kind === 'RESOURCE_STARTED' ? 'start' : x.kind.toLowerCase(), x]);
    }
    steps.push(['online', fin]);
    return steps;
  }
  function renderTakeover(all, fin) {
    var steps = takeoverSteps(all, fin);
    if (!steps) return null;
    var t0 = steps[0][1]._t, prev = t0;
    var rows = steps.map(function (s) {
      var e = s[1], d = e.details || {};
      var verdict = d.verdict ? ' <strong>' + esc(d.verdict) + '</strong>' : '';
      var took = d.durationMs && s[0] !== 'online' ? ' (took ' + esc(d.durationMs) + ' ms)' : '';
      var row = '<tr class="step" data-step="' + esc(s[0]) + '"><td class="d">' + esc(time(e.time)) + '</td><td class="d">+' + (e._t - t0) + ' ms</td>'
        + '<td class="d">\u0394 ' + (e._t - prev) + ' ms</td><td><strong>' + esc(s[0]) + '</strong>' + verdict + took + ' ' + esc(e.message) + '</td></tr>';
      prev = e._t;
      return row;
    }).join('');
    var key = fin._node + ':' + fin.id;
    var total = fin._t - t0;
    return '<li class="takeover" data-kind="TAKEOVER" data-group="' + esc(fin.group) + '"><details data-key="' + esc(key) + '"' + (st.closed.has(key) ? '' : ' open') + '>'
      + '<summary><span class="t">' + esc(time(fin.time)) + '</span> takeover of ' + esc(fin.group) + ' by ' + esc(fin._node)
      + ', generation ' + esc((fin.details || {}).generation) + ': ' + total + ' ms from detection to online</summary>'
      + '<div class="scroll"><table class="steps"><thead><tr><th scope="col">Time</th><th scope="col">Since detection</th><th scope="col">Step</th><th scope="col">What</th></tr></thead><tbody>'
      + rows + '</tbody></table></div></details></li>';
  }
  function renderTimeline() {
    var all = sortedEvents();
    var groups = new Set(), kinds = new Set();
    all.forEach(function (e) { if (e.group) groups.add(e.group); kinds.add(e.kind); });
    kinds.add('TAKEOVER');
    fillSelect($('f-group'), groups); fillSelect($('f-kind'), kinds);
    var fg = st.filterGroup, fk = st.filterKind;
    var items = [];
    for (var i = all.length - 1; i >= 0 && items.length < 400; i--) {
      var e = all[i];
      if (fg && e.group !== fg) continue;
      if (e.kind === 'FAILOVER_FINISHED' && (!fk || fk === 'TAKEOVER' || fk === e.kind)) {
        var t = renderTakeover(all, e);
        if (t) { items.push(t); if (fk === 'TAKEOVER') continue; }
      }
      if (fk && e.kind !== fk) continue;
      items.push('<li class="' + esc(e.level) + (e.result ? ' result' : '') + '" data-kind="' + esc(e.kind) + '" data-group="' + esc(e.group || '') + '">'
        + '<span class="t">' + esc(time(e.time)) + '</span><span>' + esc(e._node) + '</span><span class="k">' + esc(e.kind) + '</span>'
        + '<span>' + (e.group ? '<strong>' + esc(e.group) + (e.resource ? '/' + esc(e.resource) : '') + '</strong> ' : '') + esc(e.message) + '</span></li>');
    }
    var html = items.join('') || '<li>no events yet</li>';
    if ($('timeline').dataset.html !== html) {
      $('timeline').innerHTML = html; $('timeline').dataset.html = html;
    }
    var src = [st.info.node + (st.streamOk ? ' live' : ' (stream down)')];
    Object.keys(st.peers).forEach(function (u) {
      var p = st.peers[u];
      src.push((p.node || u) + (p.ok ? ' polled ' + ago(Date.now() - p.lastOk) : ' ' + p.error));
    });
    $('sources').textContent = 'events from: ' + src.join(', ');
  }
  function fillSelect(sel, values) {
    var want = [''].concat(Array.from(values).sort());
    var have = Array.prototype.map.call(sel.options, function (o) { return o.value; });
    if (want.join('|') === have.join('|')) return;
    var cur = sel.value;
    sel.innerHTML = want.map(function (v) { return '<option value="' + esc(v) + '">' + (v ? esc(v) : 'all') + '</option>'; }).join('');
    sel.value = cur;
  }
  $('f-group').addEventListener('change', function () { st.filterGroup = this.value; renderTimeline(); });
  $('f-kind').addEventListener('change', function () { st.filterKind = this.value; renderTimeline(); });
  $('timeline').addEventListener('toggle', function (ev) {
    var k = ev.target.dataset && ev.target.dataset.key;
    if (!k) return;
    if (ev.target.open) st.closed.delete(k); else st.closed.add(k);
  }, true);


  // ------------------------------------------------------------------ what if
  /**
   * The choices of the "What if" panel, from what the page shows: [group label, [[label, events]...]]. info is the
   * console's /api/v1/console answer (arbiters; groups: promotable, replicated resource, DR nodes), peers the polled
   * peers.
   */
  function whatIfChoices(s, info, peers) {
    var nodes = s.nodes.map(function (n) { return n.node; });
    var pairs = {}; // "a b" -> [path names]
    [s].concat(Object.keys(peers).map(function (u) { return peers[u].ok ? peers[u].status : null; }))
      .forEach(function (x) {
        if (!x) return;
        x.paths.forEach(function (p) {
          var k = [x.localNode, p.peer].sort().join(' ');
          pairs[k] = pairs[k] || [];
          if (pairs[k].indexOf(p.name) < 0) pairs[k].push(p.name);
        });
      });
    var nodeFaults = [], net = [], arb = [], res = [], standby = [], cmds = [], dr = [];
    nodes.forEach(function (n) {
      nodeFaults.push(['crash ' + n + ' (the whole machine)', 'crash ' + n]);
      nodeFaults.push(['crash only the daemon on ' + n + ' (resources keep running)', 'crash-daemon ' + n]);
    });
    var keys = Object.keys(pairs).sort();
    keys.forEach(function (k) {
      var ab = k.split(' ');
      pairs[k].forEach(function (name) {
        if (pairs[k].length === 1) net.push(['cut path ' + name + ' (' + ab[0] + ' \u2194 ' + ab[1] + ', their only path)', 'cut ' + k]);
        else net.push(['cut path ' + name + ' (' + ab[0] + ' \u2194 ' + ab[1] + '): the simulator cuts node pairs, not one of several paths', null]);
      });
      if (pairs[k].length > 1) net.push(['cut every path between ' + ab[0] + ' and ' + ab[1], 'cut ' + k]);
      net.push(['one-way cut: ' + ab[1] + ' stops hearing ' + ab[0], 'cut-one-way ' + ab[0] + '->' + ab[1]]);
      net.push(['one-way cut: ' + ab[0] + ' stops hearing ' + ab[1], 'cut-one-way ' + ab[1] + '->' + ab[0]]);
    });
    var all = [];
    for (var i = 0; i < nodes.length; i++) for (var j = i + 1; j < nodes.length; j++) all.push('cut ' + nodes[i] + ' ' + nodes[j]);
    if (all.length) net.unshift(['cut every path (every node alone)', all.join('; ')]);
    var arbs = info.arbiters;
    arb.push(['arbiter down: no arbiter answers' + (arbs && arbs.length === 0 ? ' (none is configured)' : ''), 'arbiter down']);
    nodes.forEach(function (n) { arb.push(['no arbiter reachable from ' + n, 'arbiter unreachable from ' + n]); });
    s.groups.forEach(function (g) {
      var a = g.activeNode, others = g.preferred.filter(function (n) { return n !== a; });
      if (a) {
        g.resources.forEach(function (r) {
          res.push(['check of ' + g.group + '/' + r.id + ' fails on ' + a, 'check-fails ' + a + ' ' + g.group + ' ' + r.id]);
          if (others.length) {
            res.push(['stop of ' + g.group + '/' + r.id + ' fails on ' + a + ' (during a switchover to ' + others[0] + ')',
              'stop-fails ' + a + ' ' + g.group + ' ' + r.id + '; switchover ' + g.group + ' ' + others[0]]);
          }
        });
      }
      others.forEach(function (n) { cmds.push(['switchover ' + g.group + ' to ' + n, 'switchover ' + g.group + ' ' + n]); });
      cmds.push(['switchback ' + g.group, 'switchback ' + g.group]);
      cmds.push(['maintenance ' + (g.managed ? 'on' : 'off') + ' for ' + g.group, 'maintenance ' + g.group + ' ' + (g.managed ? 'on' : 'off')]);
      cmds.push(['clear the failures of ' + g.group, 'clear ' + g.group]);
      var conf = (info.groups || []).find(function (x) { return x.id === g.group; });
      if (conf && conf.promotable) { // its replicated resource: primary on the active node, a standby on the others
        var rep = conf.replicated, drs = conf.drNodes || [];
        g.preferred.concat(drs.filter(function (n) { return g.preferred.indexOf(n) < 0; })).forEach(function (n) {
          if (n === a) return;
          standby.push(['standby of ' + g.group + '/' + rep + ' on ' + n + ' lags (stops receiving)', 'standby-lags ' + n + ' ' + g.group]);
          standby.push(['standby of ' + g.group + '/' + rep + ' on ' + n + ' cannot start (its rewind fails)',
            'standby-start-fails ' + n + ' ' + g.group]);
          standby.push([g.group + '/' + rep + ' on ' + n + ' healthy again (clears either)', 'healthy ' + n + ' ' + g.group + ' ' + rep]);
        });
        var site = g.preferred.filter(function (n) { return drs.indexOf(n) < 0; });
        drs.forEach(function (d) { // given on the DR node, as an operator there would
          var c = 'command ' + d + ' ', gd = ' ' + g.group + ' ' + d;
          dr.push(['preview promoting DR node ' + d + ' for ' + g.group, c + 'promote-dr-preview' + gd]);
          dr.push(['promote DR node ' + d + ' for ' + g.group + ' (refused while the primary site may hold it)', c + 'promote-dr' + gd]);
          dr.push(['promote DR node ' + d + ' for ' + g.group + ', declaring the primary site fenced', c + 'promote-dr-fence' + gd]);
          if (site.length) {
            dr.push(['the primary site (' + site.join(', ') + ') is lost, then DR node ' + d + ' is promoted (fencing it)',
              site.map(function (n) { return 'crash ' + n; }).join('; ') + '; at 5s ' + c + 'promote-dr-fence' + gd]);
          }
        });
      }
    });
    var out = [['Nodes', nodeFaults], ['Heartbeat paths', net], ['Arbiters', arb], ['Resources', res]];
    if (standby.length) out.push(['Standbys (promotable groups)', standby]);
    out.push(['Commands', cmds]);
    if (dr.length) out.push(['Disaster recovery (DR site)', dr]);
    out.push(['Your own', [['write the events yourself\u2026', '']]]);
    return out;
  }
  var wiKey = null, wiBusy = false;
  function renderWhatIfChoices(s) {
    var operator = st.info.actions && st.info.actions.length > 0;
    var off = $('wi-disabled');
    if (!operator) {
      off.hidden = false;
      off.textContent = 'The what-if needs the operator role: you are signed in as ' + st.info.who + ' (' + st.info.role
        + '), and the node refuses POST /api/v1/whatif to viewers. Sign in with an operator token to simulate.';
    } else {
      off.hidden = true;
    }
    ['wi-pick', 'wi-text'].forEach(function (id) { $(id).disabled = !operator; });
    $('wi-run').disabled = !operator || wiBusy;
    var choices = whatIfChoices(s, st.info, st.peers);
    var key = JSON.stringify(choices);
    if (key === wiKey) return;
    wiKey = key;
    var sel = $('wi-pick'), cur = sel.value;
    sel.innerHTML = choices.map(function (c) {
      return '<optgroup label="' + esc(c[0]) + '">' + c[1].map(function (o) {
        return '<option value="' + esc(o[1] == null ? '' : o[1]) + '"' + (o[1] == null ? ' disabled' : '') + '>' + esc(o[0]) + '</option>';
      }).join('') + '</optgroup>';
    }).join('');
    if (cur && Array.prototype.some.call(sel.options, function (o) { return o.value === cur && !o.disabled; })) sel.value = cur;
    else if (!$('wi-text').value) $('wi-text').value = sel.value;
  }
  window.tandemWhatIfChoices = whatIfChoices; // (for the console's browser test)
  $('wi-pick').addEventListener('change', function () {
    $('wi-text').value = this.value;
    if (!this.value) $('wi-text').focus();
  });
  /** Runs a what-if of these events from the live state (the node fetches its peers' snapshots itself). */
  function runWhatIf(events) {
    return api('', '/api/v1/whatif', {method: 'POST', body: JSON.stringify({events: events})});
  }
  function sec(ms) { return (ms / 1000).toFixed(3) + ' s'; }
  /** Final placement lines "G: n1=STATE n2=STATE generation=N running=X": per group, where it runs. */
  function placement(w) {
    var groups = [], nodes = [];
    (w.finalPlacement || []).forEach(function (l) {
      var m = /^(\S+): (.*) generation=(\d+) running=(\S+)(.*)$/.exec(l);
      if (m) groups.push({group: m[1], states: m[2], generation: m[3], running: m[4], rest: m[5].trim()});
      else nodes.push(l);
    });
    return {groups: groups, nodes: nodes};
  }
  function downtimeText(d) {
    if (!d) return 'unknown';
    var t = d.intervals.map(function (iv) { return 'offline ' + sec(iv[0]) + '\u2013' + sec(iv[1]); });
    if (d.offlineAtEnd) t.push('offline at the end');
    return (d.totalMs / 1000).toFixed(3) + ' s' + (t.length ? ' (' + t.join(', ') + ')' : ' (none)')
      + (d.maxOwners > 1 ? ' \u2013 ran on ' + d.maxOwners + ' nodes at once!' : '');
  }
  /** The what-if's answer as HTML; {compact: true} for the action preview. */
  function whatIfHtml(w, opts) {
    opts = opts || {};
    var pl = placement(w), h = '';
    if (!opts.compact) h += '<p class="muted wi-summary">' + esc(w.summary) + '</p>';
    (w.peersUnanswered || []).forEach(function (p) {
      h += '<p class="muted">' + esc(p.url) + ' ' + esc(p.reason) + ': counted as down (no node hears it)</p>';
    });
    (w.violations || []).forEach(function (v) { h += '<p class="refusal">Safety violation: ' + esc(v) + '</p>'; });
    (w.commands || []).forEach(function (c) { h += '<p><strong>Command:</strong> ' + esc(c) + '</p>'; });
    h += '<h3>Final placement <span class="muted">(at ' + sec(w.endMs) + ')</span></h3><div class="scroll"><table class="wi-placement">'
      + '<thead><tr><th scope="col">Group</th><th scope="col">Runs on</th><th scope="col">Generation</th><th scope="col">Expected downtime</th><th scope="col">States</th></tr></thead><tbody>'
      + pl.groups.map(function (g) {
        var d = (w.downtime || {})[g.group];
        var bad = d && (d.offlineAtEnd || d.maxOwners > 1);
        return '<tr data-group="' + esc(g.group) + '" data-running="' + esc(g.running) + '"><th scope="row">' + esc(g.group) + '</th><td class="wi-running"><strong>'
          + esc(g.running) + '</strong></td><td>' + esc(g.generation) + '</td><td class="wi-down' + (bad ? ' bad' : '') + '" data-ms="'
          + esc(d ? d.totalMs : '') + '">' + esc(downtimeText(d)) + '</td><td class="muted">' + esc(g.states + (g.rest ? ' ' + g.rest : '')) + '</td></tr>';
      }).join('') + '</tbody></table></div>';
    if (!opts.compact) h += '<ul class="muted">' + pl.nodes.map(function (n) { return '<li>' + esc(n) + '</li>'; }).join('') + '</ul>';
    var ds = w.decisions || [];
    if (opts.compact && opts.group) ds = ds.filter(function (d) { return !d.group || d.group === opts.group; });
    h += '<h3>Decisions, step by step</h3>' + (ds.length ? '<div class="scroll"><table class="wi-decisions"><thead><tr><th scope="col">At</th>'
      + '<th scope="col">Node</th><th scope="col">Decision</th><th scope="col">Why</th></tr></thead><tbody>'
      + ds.slice(0, opts.compact ? 40 : 400).map(function (d) {
        return '<tr><td class="d">' + esc(sec(d.atMs)) + '</td><td>' + esc(d.node) + '</td><td class="k">' + esc(d.kind)
          + (d.group ? ' <strong>' + esc(d.group) + (d.resource ? '/' + esc(d.resource) : '') + '</strong>' : '') + '</td><td>' + esc(d.message) + '</td></tr>';
      }).join('') + '</tbody></table></div>' : '<p>No decision: nothing changes.</p>');
    h += '<p class="muted">Decisions and order are the engine\'s; times are the simulator\'s: a peer is declared unreachable'
      + ' 300 ms after its heartbeats stop, resources take 10 to 50 ms per action, safety checks and fencing 50 ms;'
      + ' timeouts, check intervals and recovery limits are the configuration\'s.</p>';
    if (!opts.compact) h += '<details><summary>The whole transcript</summary><pre>' + esc(w.text) + '</pre></details>';
    return h;
  }
  $('wi-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var events = $('wi-text').value.trim();
    if (!events) { $('wi-result').innerHTML = '<p class="refusal">Pick a fault or a command, or write the events.</p>'; $('wi-text').focus(); return; }
    wiBusy = true; $('wi-run').disabled = true; $('wi-run').textContent = 'Simulating\u2026';
    $('wi-result').innerHTML = '<p class="muted">Simulating <code>' + esc(events) + '</code> from the live state\u2026</p>';
    runWhatIf(events).then(function (r) {
      if (!r.ok) {
        $('wi-result').innerHTML = '<div class="wi-out" data-status="' + r.status + '"><p class="refusal">The what-if was refused ('
          + r.status + '): ' + esc(r.body && r.body.error) + '</p></div>';
        return;
      }
      $('wi-result').innerHTML = '<div class="wi-out" data-status="200"><h3>Plan for <code>' + esc(events) + '</code></h3>' + whatIfHtml(r.body) + '</div>';
    }, function (e) {
      $('wi-result').innerHTML = '<div class="wi-out"><p class="refusal">No answer from ' + esc(st.info.node) + ': ' + esc(e.message) + '</p></div>';
    }).then(function () {
      wiBusy = false; $('wi-run').textContent = 'Simulate';
      $('wi-run').disabled = !(st.info.actions && st.info.actions.length);
    });
  });

  // ------------------------------------------------------------------ actions
  var pending = null;
  $('groups').addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-act]');
    if (!b) return;
    var a = b.dataset.act, g = b.dataset.group, q = 'action=' + a;
    if (b.dataset.target) q += '&target=' + encodeURIComponent(b.dataset.target);
    if (a === 'maintenance') q += '&on=' + b.dataset.on;
    var events = a === 'switchover' ? 'switchover ' + g + ' ' + b.dataset.target : a === 'maintenance'
      ? 'maintenance ' + g + ' ' + (b.dataset.on === 'true' ? 'on' : 'off') : a + ' ' + g;
    var sim = runWhatIf(events); // at the same time as the preview
    api('', '/api/v1/groups/' + encodeURIComponent(g) + '/preview?' + q).then(function (r) {
      if (!r.ok) { toast(a + ' ' + g, false, r.body && r.body.error); return; }
      var mine = {action: a, group: g, target: b.dataset.target, on: b.dataset.on === 'true', opener: b};
      pending = mine;
      showPreview(r.body, events);
      sim.then(function (w) {
        if (pending !== mine || !$('dlg').open) return;
        $('dlg-sim').innerHTML = w.ok ? whatIfHtml(w.body, {compact: true, group: g})
          : '<p class="refusal">No simulation (' + w.status + '): ' + esc(w.body && w.body.error) + '</p>';
        $('dlg-sim').dataset.state = w.ok ? 'done' : 'failed';
      }, function (e) {
        if (pending === mine) { $('dlg-sim').innerHTML = '<p class="refusal">No simulation: ' + esc(e.message) + '</p>'; $('dlg-sim').dataset.state = 'failed'; }
      });
    });
  });
  function showPreview(p, events) {
    $('dlg-title').textContent = 'Preview: ' + p.action + ' of ' + p.group + (p.to && p.action !== 'maintenance' && p.action !== 'clear' ? ' to ' + p.to : '');
    var h = '<h3>What the action does</h3><p id="preview-summary">' + esc(p.summary || '') + '</p>';
    p.refusals.forEach(function (x) { h += '<p class="refusal">The cluster will refuse: ' + esc(x) + '</p>'; });
    p.warnings.forEach(function (x) { h += '<p class="muted">' + esc(x) + '</p>'; });
    if (p.steps && p.steps.length) {
      h += '<div class="scroll"><table id="preview-steps"><thead><tr><th scope="col">#</th><th scope="col">Node</th><th scope="col">Does</th><th scope="col">Resource</th><th scope="col">Timeout</th><th scope="col">Last time</th></tr></thead><tbody>'
        + p.steps.map(function (s) {
          return '<tr><td>' + s.order + '</td><td>' + esc(s.node) + '</td><td>' + esc(s.do) + '</td><td>' + esc(s.resource ? s.resource + ' (' + s.type + ')' : s.detail) + '</td>'
            + '<td>' + (s.timeoutMs == null ? '\u2013' : esc(s.timeoutMs) + ' ms') + '</td><td>' + (s.lastMs == null ? 'unknown' : esc(s.lastMs) + ' ms') + '</td></tr>';
        }).join('') + '</tbody></table></div>';
    }
    if (p.downtime) {
      h += '<p><strong>Expected downtime:</strong> ' + (p.downtime.expectedMs == null ? 'unknown' : esc(p.downtime.expectedMs) + ' ms')
        + (p.downtime.worstMs == null ? '' : ', at worst ' + esc(p.downtime.worstMs) + ' ms') + ' <span class="muted">(' + esc(p.downtime.basis) + ')</span></p>';
    }
    var arb = (p.arbiters || []).map(function (a) { return a.id + ' (' + a.type + ')'; });
    h += '<p><strong>Arbiters:</strong> ' + esc(arb.length ? arb.join(', ') + ': ' + p.arbiters[0].role : p.arbitersNote || 'none') + '</p>';
    $('dlg-body').innerHTML = '<div class="pv-cols"><div id="dlg-preview">' + h + '</div><div><h3>Simulated outcome'
      + ' <span class="muted">(what-if of <code>' + esc(events) + '</code> from the live state)</span></h3>'
      + '<div id="dlg-sim" data-state="running" aria-live="polite"><p class="muted">Simulating…</p></div></div></div>';
    $('dlg').classList.add('wide');
    $('dlg-ok').disabled = false;
    $('dlg-ok').textContent = p.willBeRefused ? 'Send anyway' : 'Confirm ' + p.action;
    $('dlg').showModal();
    $('dlg-cancel').focus();
  }
  $('dlg-cancel').addEventListener('click', function () { $('dlg').close(); });
  $('dlg').addEventListener('close', function () { if (pending && pending.opener && document.body.contains(pending.opener)) pending.opener.focus(); });
  $('dlg-ok').addEventListener('click', function () {
    var p = pending;
    if (!p) return;
    $('dlg-ok').disabled = true; $('dlg-ok').textContent = 'Sending\u2026';
    var body = p.action === 'switchover' ? {target: p.target} : p.action === 'maintenance' ? {on: p.on} : {};
    var t0 = Date.now();
    api('', '/api/v1/groups/' + encodeURIComponent(p.group) + '/' + p.action, {method: 'POST', body: JSON.stringify(body)}).then(function (r) {
      var ok = r.status === 200;
      var msg = r.body ? (r.body.message || r.body.error) : String(r.status);
      $('dlg').close();
      toast(p.action + ' ' + p.group + (p.target ? ' to ' + p.target : ''), ok, msg + (r.body && r.body.durationMs != null ? ' (' + Math.round(r.body.durationMs) + ' ms)' : ''), t0);
      refreshStatus();
    }, function (e) { $('dlg').close(); toast(p.action + ' ' + p.group, false, 'no answer: ' + e.message, t0); });
  });
  /** A command's result goes into the timeline, marked as this page's. */
  function toast(what, ok, msg, t0) {
    var now = new Date(t0 || Date.now());
    st.results.push({id: st.results.length + 1, time: now.toISOString(), _t: now.getTime(), _node: st.info.node, kind: 'COMMAND',
      level: ok ? 'INFO' : 'ERROR', group: pending ? pending.group : null, result: true,
      message: what + ' by ' + st.info.who + ': ' + (ok ? 'done' : 'not done') + ' \u2013 ' + (msg || '')});
    renderTimeline();
  }

  begin();
})();
