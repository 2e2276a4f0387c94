/**
 * The inspector page's script, plain browser JavaScript served as it is (no build step). It renders
 * every value from the stream with `textContent` and `createElement`, never as HTML: event data is
 * user input. Kept free of template literals so it can live inside this TypeScript string.
 */
export const INSPECTOR_SCRIPT = String.raw`'use strict';
(function () {
  var MAX_REQUESTS = 500;
  var PREVIEW_CHARS = 240;
  var items = []; // { request, node }, newest first
  var held = []; // requests that arrived while the feed was paused
  var paused = false;
  var names = new Set();

  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function preview(value) {
    var json;
    try { json = JSON.stringify(value); } catch (e) { json = String(value); }
    if (json === undefined) json = String(value);
    return json.length > PREVIEW_CHARS ? json.slice(0, PREVIEW_CHARS) + '…' : json;
  }
  function clock(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    var ms = String(date.getMilliseconds()).padStart(3, '0');
    return date.toLocaleTimeString([], { hour12: false }) + '.' + ms;
  }
  function statusClass(request) {
    if (request.status === null) return 'no-response';
    if (request.status < 300) return 'ok';
    if (request.status < 500) return 'client-error';
    return 'server-error';
  }
  function field(label, value) {
    var span = el('span', 'field', label + ' ');
    span.appendChild(el('code', null, value));
    return span;
  }

  function renderEvent(event, request) {
    var item = el('li', 'event');
    item.dataset.name = event.name === null ? '' : event.name;
    item.dataset.contact = [event.externalId || '', event.anonymousId || ''].join('\n');
    var head = el('div', 'event-head');
    head.appendChild(el('span', 'event-name', event.name === null ? '(no name)' : event.name));
    if (event.externalId !== null) head.appendChild(field('external_id', event.externalId));
    if (event.anonymousId !== null) head.appendChild(field('anonymous_id', event.anonymousId));
    if (event.createdAt !== null) head.appendChild(field('created_at', event.createdAt));
    if (request.status !== null && request.status < 300 && request.acceptedEvents === 0 && !request.replayed) {
      head.appendChild(el('span', 'badge client-error', 'not accepted'));
    }
    item.appendChild(head);
    if (event.data !== null) {
      var data = el('p', 'preview mono');
      data.appendChild(el('span', 'field', 'data '));
      data.appendChild(document.createTextNode(preview(event.data)));
      item.appendChild(data);
    }
    if (event.user !== null) {
      var user = el('p', 'preview mono');
      user.appendChild(el('span', 'field', 'user '));
      user.appendChild(document.createTextNode(preview(event.user)));
      item.appendChild(user);
    }
    var details = el('details', 'raw');
    details.appendChild(el('summary', null, 'Raw JSON of event ' + event.index));
    details.appendChild(el('pre', null, event.raw));
    item.appendChild(details);
    return item;
  }

  function renderRequest(request) {
    var kind = statusClass(request);
    var node = el('li', 'request ' + kind);
    node.dataset.seq = String(request.seq);
    node.dataset.key = request.idempotencyKey || '';
    node.setAttribute('aria-label', 'Request ' + request.seq);
    var head = el('div', 'request-head');
    head.appendChild(el('span', 'badge status ' + kind, request.status === null ? 'no response' : request.status));
    if (request.code) head.appendChild(el('code', 'code', request.code));
    head.appendChild(el('span', 'meta', clock(request.receivedAt)));
    head.appendChild(el('span', 'meta', request.method + ' ' + request.path));
    head.appendChild(el('span', 'batch-size', request.batchSize === null ? 'no batch' : request.batchSize + (request.batchSize === 1 ? ' event' : ' events')));
    if (request.idempotencyKey) {
      var key = el('button', 'key mono', request.idempotencyKey.length > 28 ? request.idempotencyKey.slice(0, 28) + '…' : request.idempotencyKey);
      key.type = 'button';
      key.title = 'Show only requests with this Idempotency-Key';
      key.setAttribute('aria-label', 'Idempotency-Key ' + request.idempotencyKey + ': show only its requests');
      key.addEventListener('click', function () { $('filter-key').value = request.idempotencyKey; applyFilters(); });
      head.appendChild(key);
    } else {
      head.appendChild(el('span', 'meta', 'no Idempotency-Key'));
    }
    if (request.attempt > 1) head.appendChild(el('span', 'badge retry', 'retry · attempt ' + request.attempt));
    if (request.replayed) head.appendChild(el('span', 'badge replayed', 'replayed'));
    if (request.fault) head.appendChild(el('span', 'badge fault', 'fault: ' + request.fault.replace('_', ' ')));
    if (request.aborted) head.appendChild(el('span', 'badge no-response', 'client gave up'));
    head.appendChild(el('span', 'meta latency', request.durationMs + ' ms'));
    node.appendChild(head);
    var events = el('ul', 'events');
    request.events.forEach(function (event) {
      events.appendChild(renderEvent(event, request));
      if (event.name !== null) names.add(event.name);
    });
    node.appendChild(events);
    if (request.bodyNote) node.appendChild(el('p', 'note', request.bodyNote));
    return node;
  }

  function matches(value, wanted) {
    return wanted === '' || value.toLowerCase().indexOf(wanted) !== -1;
  }

  function applyFilters() {
    var name = $('filter-event').value.trim().toLowerCase();
    var contact = $('filter-contact').value.trim().toLowerCase();
    var key = $('filter-key').value.trim();
    var filtering = name !== '' || contact !== '';
    var shown = 0;
    items.forEach(function (item) {
      var visibleEvents = 0;
      item.node.querySelectorAll('.event').forEach(function (eventNode) {
        var ok = matches(eventNode.dataset.name, name) && matches(eventNode.dataset.contact, contact);
        eventNode.hidden = !ok;
        if (ok) visibleEvents += 1;
      });
      var visible = (!filtering || visibleEvents > 0) && (key === '' || item.node.dataset.key === key);
      item.node.hidden = !visible;
      if (visible) shown += 1;
    });
    $('shown').textContent = 'Showing ' + shown + ' of ' + items.length + ' requests' + (items.length >= MAX_REQUESTS ? ' (the latest ' + MAX_REQUESTS + ')' : '') + '.';
    $('empty').hidden = items.length > 0;
  }

  function refreshNames() {
    var list = $('event-names');
    if (list.children.length === names.size) return;
    list.textContent = '';
    Array.from(names).sort().forEach(function (name) {
      var option = document.createElement('option');
      option.value = name;
      list.appendChild(option);
    });
  }

  function add(requests) {
    var list = $('requests');
    requests.forEach(function (request) {
      var node = renderRequest(request);
      list.insertBefore(node, list.firstChild);
      items.unshift({ request: request, node: node });
    });
    while (items.length > MAX_REQUESTS) items.pop().node.remove();
    refreshNames();
    applyFilters();
  }

  function receive(requests) {
    if (paused) { held = held.concat(requests); showHeld(); return; }
    add(requests);
  }

  function showHeld() {
    $('pause-feed').textContent = paused ? 'Resume the feed (' + held.length + ' waiting)' : 'Pause the feed';
  }

  function showState(state) {
    $('endpoint').textContent = state.eventsUrl;
    var emulator = $('emulator-state');
    emulator.textContent = state.up ? 'Emulator: up' : 'Emulator: down';
    emulator.className = 'pill ' + (state.up ? 'pill-ok' : 'pill-bad');
    $('go-down').disabled = !state.up;
    $('go-up').disabled = state.up;
    $('pending-faults').textContent = String(state.pendingFaults);
    var counters = state.counters;
    ['events', 'batches', 'requests', 'replays', 'rejections', 'faults'].forEach(function (name) {
      $('count-' + name).textContent = String(counters[name]);
    });
  }

  function say(message, isError) {
    var target = $('control-message');
    target.textContent = message;
    target.className = 'message' + (isError ? ' error' : '');
  }

  function control(body, done) {
    fetch('/control', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (response) {
        if (!response.ok) return response.text().then(function (text) { throw new Error(text); });
        return response.json().then(function (state) { showState(state); say(done, false); });
      })
      .catch(function (error) { say('Could not do it: ' + error.message, true); });
  }

  function connect() {
    var source = new EventSource('/stream');
    var connection = $('connection');
    source.addEventListener('open', function () {
      connection.textContent = 'Live';
      connection.className = 'pill pill-ok';
    });
    source.addEventListener('error', function () {
      connection.textContent = 'Reconnecting…';
      connection.className = 'pill pill-wait';
    });
    source.addEventListener('snapshot', function (message) {
      var snapshot = JSON.parse(message.data);
      items.forEach(function (item) { item.node.remove(); });
      items = [];
      held = [];
      add(snapshot.requests);
      showState(snapshot.state);
      document.body.dataset.ready = 'true';
    });
    source.addEventListener('requests', function (message) { receive(JSON.parse(message.data)); });
    source.addEventListener('state', function (message) { showState(JSON.parse(message.data)); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-fault]').forEach(function (button) {
      button.addEventListener('click', function () {
        var fault = button.dataset.fault;
        var body = { action: 'fault', fault: fault };
        if (fault === 'rate_limit') body.retryAfterSeconds = Number($('retry-after').value);
        control(body, button.textContent + ': armed.');
      });
    });
    document.querySelectorAll('[data-action]').forEach(function (button) {
      button.addEventListener('click', function () { control({ action: button.dataset.action }, button.textContent + ': done.'); });
    });
    ['filter-event', 'filter-contact', 'filter-key'].forEach(function (id) { $(id).addEventListener('input', applyFilters); });
    $('clear-filters').addEventListener('click', function () {
      $('filter-event').value = '';
      $('filter-contact').value = '';
      $('filter-key').value = '';
      applyFilters();
    });
    $('pause-feed').addEventListener('click', function () {
      paused = !paused;
      $('pause-feed').setAttribute('aria-pressed', String(paused));
      if (!paused) { var waiting = held; held = []; add(waiting); }
      showHeld();
    });
    applyFilters();
    connect();
  });
})();
`;
