/**
 * The inspector page: plain HTML with its stylesheet and script served beside it by the inspector
 * itself. No build step, no CDN, nothing fetched from the network: it works offline. Everything that
 * comes from requests is rendered by the script as text nodes, never as markup.
 */
export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spotzee emulator inspector</title>
<link rel="stylesheet" href="/inspector.css">
<script src="/inspector.js" defer></script>
</head>
<body>
<a class="skip" href="#requests-title">Skip to the requests</a>
<header class="top">
  <div>
    <h1>Spotzee emulator inspector</h1>
    <p class="endpoint">Events endpoint <code id="endpoint">…</code></p>
  </div>
  <div class="health">
    <p id="connection" class="pill pill-wait" role="status">Connecting…</p>
    <p id="emulator-state" class="pill pill-wait">Emulator: …</p>
  </div>
</header>

<section class="counters" aria-labelledby="counters-title">
  <h2 id="counters-title" class="visually-hidden">Counters</h2>
  <dl>
    <div><dt>Events accepted</dt><dd id="count-events">0</dd></div>
    <div><dt>Batches accepted</dt><dd id="count-batches">0</dd></div>
    <div><dt>Requests</dt><dd id="count-requests">0</dd></div>
    <div><dt>Replays</dt><dd id="count-replays">0</dd></div>
    <div><dt>Rejections</dt><dd id="count-rejections">0</dd></div>
    <div><dt>Faults injected</dt><dd id="count-faults">0</dd></div>
  </dl>
</section>

<div class="panels">
<section class="panel" aria-labelledby="controls-title">
  <h2 id="controls-title">Make it fail</h2>
  <p class="hint">A fault applies to the next request the emulator receives. Waiting: <strong id="pending-faults">0</strong></p>
  <div class="buttons">
    <button type="button" id="fault-503" data-fault="status_503">Next request: 503</button>
    <span class="with-input">
      <button type="button" id="fault-429" data-fault="rate_limit">Next request: 429</button>
      <label for="retry-after">Retry-After (s)</label>
      <input id="retry-after" type="number" min="0" max="3600" step="0.5" value="2" inputmode="decimal">
    </span>
    <button type="button" id="fault-lost" data-fault="lost_response">Next request: accept, lose the response</button>
    <button type="button" id="fault-reset" data-fault="reset">Next request: reset the connection</button>
  </div>
  <div class="buttons">
    <button type="button" id="go-down" data-action="down">Take the emulator down</button>
    <button type="button" id="go-up" data-action="up">Bring it back up</button>
    <button type="button" id="clear-faults" data-action="clear_faults">Withdraw waiting faults</button>
  </div>
  <p id="control-message" class="message" role="status"></p>
</section>

<section class="panel" aria-labelledby="filters-title">
  <h2 id="filters-title">Filter</h2>
  <div class="filters">
    <label for="filter-event">Event name</label>
    <input id="filter-event" type="search" list="event-names" autocomplete="off" placeholder="order_placed">
    <datalist id="event-names"></datalist>
    <label for="filter-contact">Contact id</label>
    <input id="filter-contact" type="search" autocomplete="off" placeholder="external or anonymous id">
    <label for="filter-key">Idempotency-Key</label>
    <input id="filter-key" type="search" autocomplete="off" placeholder="click a key below">
  </div>
  <div class="buttons">
    <button type="button" id="clear-filters">Clear filters</button>
    <button type="button" id="pause-feed" aria-pressed="false">Pause the feed</button>
  </div>
  <p id="shown" class="hint" aria-live="polite"></p>
</section>
</div>

<main aria-labelledby="requests-title">
  <h2 id="requests-title" tabindex="-1">Requests, newest first</h2>
  <p id="empty" class="empty">No request yet. Send an event through the library and it shows up here.</p>
  <ol id="requests" class="requests"></ol>
</main>
</body>
</html>
`;
