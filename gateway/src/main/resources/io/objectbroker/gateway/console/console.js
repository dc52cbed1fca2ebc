// The ObjectBroker console: reads the gateway's own routes (/names, /stats, /call/...) and
// renders them; provision and detach go through /call after a confirmation. Plain DOM, no
// framework: every value is put in as text, never as HTML.
'use strict';

const service = new URLSearchParams(location.search).get('service') || 'example.provisioning';
const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const r = await fetch(path, {headers: {'Accept': 'application/json'}});
  return answer(r);
}

async function call(method, args) {
  const r = await fetch('/call/' + encodeURIComponent(service) + '/' + method, {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(args || [])});
  return (await answer(r)).result;
}

async function answer(r) {
  let body;
  try {
    body = await r.json();
  } catch (e) {
    throw new Error('HTTP ' + r.status + ' (not JSON)');
  }
  if (!r.ok) {
    const type = body.error ? body.error.type.replace(/^.*\./, '') : 'HTTP ' + r.status;
    throw new Error(type + ': ' + (body.error ? body.error.message : ''));
  }
  return body;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function fill(table, rows, render, empty) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.insertRow();
    cell(tr, empty, 'empty').colSpan = $(table).tHead.rows[0].cells.length;
    return;
  }
  for (const row of rows) render(body.insertRow(), row);
}

function size(bytes) {
  for (const [unit, shift] of [['T', 40], ['G', 30], ['M', 20], ['K', 10]]) {
    const n = bytes / 2 ** shift;
    if (n >= 1) return (Number.isInteger(n) ? n : n.toFixed(1)) + unit;
  }
  return bytes + ' B';
}

function leaseLeft(expires) {
  if (!expires) return 'permanent';
  const s = Math.round((Date.parse(expires) - Date.now()) / 1000);
  return s >= 0 ? 'in ' + s + ' s' : 'expired ' + (-s) + ' s ago';
}

function server(uri) {
  const at = uri.lastIndexOf('@');
  return at < 0 ? uri : uri.substring(at + 1);
}

function status(text, ok) {
  const p = $('status');
  p.textContent = text;
  p.className = ok ? 'ok' : '';
  p.hidden = !text;
}

// Asks the operator; resolves true only on "Yes".
function confirmAction(text) {
  const d = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'yes'), {once: true});
    d.returnValue = '';
    d.showModal();
  });
}

// The name whose interface is open ({name, description} or {name, error}; description null
// while it is fetched): it stays open across the redraws, fetched once when opened.
let opened = null;

function toggleInterface(name) {
  if (opened && opened.name === name) {
    opened = null;
  } else {
    const o = {name: name, description: null, error: null};
    opened = o;
    getJson('/describe/' + encodeURIComponent(name))
      .then((d) => { o.description = d; }, (e) => { o.error = e.message; })
      .then(() => refreshNames().catch((e) => status(e.message, false)));
  }
  refreshNames().catch((e) => status(e.message, false));
}

function element(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function signature(m) {
  const params = (m.parameters || []).map((p) => p.type + ' ' + p.name).join(', ');
  return m.name + '(' + params + ') -> ' + (m.result || 'void');
}

function interfaceRow(tr, o, columns) {
  tr.className = 'interface';
  tr.dataset.name = o.name;
  const td = tr.insertCell();
  td.colSpan = columns;
  if (o.error) {
    td.appendChild(element('p', o.error, 'error'));
    return;
  }
  const d = o.description;
  if (!d) {
    td.appendChild(element('p', 'loading interface…', 'note'));
    return;
  }
  const head = element('p');
  head.appendChild(element('span', d.interface, 'mono'));
  const sum = element('span', ' sha256 ' + d.sha256.substring(0, 12), 'mono checksum');
  sum.title = d.sha256;
  head.appendChild(sum);
  td.appendChild(head);
  if (d.doc) td.appendChild(element('p', d.doc, 'doc'));
  const list = element('ul', undefined, 'methods');
  for (const m of d.methods) {
    const li = element('li');
    li.dataset.method = m.name;
    li.appendChild(element('code', signature(m), 'signature'));
    const flags = (m.flags || []).concat((m.roles || []).map((r) => 'role ' + r));
    if (flags.length) li.appendChild(element('span', ' [' + flags.join(', ') + ']', 'flags'));
    if (m.exceptions && m.exceptions.length) {
      const simple = m.exceptions.map((x) => x.replace(/^.*\./, ''));
      li.appendChild(element('span', ' throws ' + simple.join(', '), 'throws'));
    }
    if (m.doc) li.appendChild(element('div', m.doc, 'doc'));
    list.appendChild(li);
  }
  td.appendChild(list);
}

async function refreshNames() {
  const names = (await getJson('/names')).names;
  const columns = $('names').tHead.rows[0].cells.length;
  let shown = false;
  fill('names', names, (tr, n) => {
    const button = element('button', n.name, 'open-name');
    button.type = 'button';
    button.title = 'show the interface of ' + n.name;
    button.addEventListener('click', () => toggleInterface(n.name));
    tr.dataset.name = n.name;
    tr.insertCell().appendChild(button);
    cell(tr, n.uri, 'mono');
    cell(tr, n.metadata.join(', '));
    cell(tr, n.owner);
    cell(tr, leaseLeft(n.expires));
    cell(tr, n.exposed ? 'yes' : 'no');
    if (opened && opened.name === n.name && !shown) {
      shown = true;
      interfaceRow(tr.parentElement.insertRow(), opened, columns);
    }
  }, 'no names registered');
  const servers = new Map();
  for (const n of names) {
    const s = servers.get(server(n.uri)) || {names: [], expires: null};
    s.names.push(n.name);
    if (n.expires && (!s.expires || n.expires < s.expires)) s.expires = n.expires;
    servers.set(server(n.uri), s);
  }
  fill('servers', [...servers.entries()], (tr, [address, s]) => {
    cell(tr, address, 'mono');
    cell(tr, s.names.join(', '));
    cell(tr, s.expires ? leaseLeft(s.expires) : 'permanent');
  }, 'no servers');
  return names.some((n) => n.name === service && n.exposed);
}

async function refreshStats() {
  const stats = await getJson('/stats');
  $('stats-since').textContent = new Date(stats.since).toLocaleString();
  fill('calls', stats.calls, (tr, c) => {
    cell(tr, c.name);
    cell(tr, c.method);
    cell(tr, c.calls, 'num');
    cell(tr, c.errors, 'num');
    cell(tr, c.mean_ms.toFixed(1), 'num');
    cell(tr, c.max_ms.toFixed(1), 'num');
    cell(tr, c.last_ms.toFixed(1), 'num');
    cell(tr, c.last_error);
  }, 'no calls yet');
}

async function refreshProvisioning() {
  const images = await call('list_all_images');
  const infos = await Promise.all(images.map((i) => call('image_info', [i])));
  fill('images', infos, (tr, i) => {
    cell(tr, i.image);
    cell(tr, size(i.size_bytes), 'num');
    cell(tr, i.snapshots.join(', '));
    cell(tr, i.nodes.join(', '));
  }, 'no images');
  const select = $('provision-image');
  const chosen = select.value;
  select.replaceChildren(...images.map((i) => new Option(i, i)));
  if (images.includes(chosen)) select.value = chosen;
  const exports = await call('list_exports');
  fill('exports', exports, (tr, e) => {
    tr.dataset.node = e.node;
    cell(tr, e.node);
    cell(tr, e.iqn, 'mono');
    cell(tr, e.image);
    cell(tr, e.snapshot);
    const button = document.createElement('button');
    button.textContent = 'Detach…';
    button.className = 'detach';
    button.addEventListener('click', () => detach(e.node));
    tr.insertCell().appendChild(button);
  }, 'no exports');
}

async function refresh() {
  try {
    const provisioning = await refreshNames();
    $('service').textContent = service;
    $('provisioning').hidden = !provisioning;
    if (provisioning) await refreshProvisioning();
    await refreshStats();
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    status(e.message, false);
  }
}

async function provision(event) {
  event.preventDefault();
  const image = $('provision-image').value;
  const node = $('provision-node').value.trim();
  if (!await confirmAction('Provision ' + image + ' to node ' + node + '?')) return;
  try {
    const e = await call('provision', [image, node]);
    status('provisioned ' + node + ': ' + e.iqn, true);
  } catch (e) {
    status(e.message, false);
  }
  await refresh();
}

async function detach(node) {
  if (!await confirmAction('Detach node ' + node + '? Its disk is deleted.')) return;
  try {
    await call('detach_node', [node]);
    status('detached ' + node, true);
  } catch (e) {
    status(e.message, false);
  }
  await refresh();
}

$('provision-form').addEventListener('submit', provision);
refresh();
setInterval(() => { if ($('live').checked) refresh(); }, 2000);
