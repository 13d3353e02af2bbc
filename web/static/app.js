// csoc dashboard: live updates without a framework. The pages are complete without this file;
// with it, a state change announced on /api/v1/stream re-fetches the current page and swaps its
// <main>, and the header shows whether the live link is up.
'use strict';

(function () {
  const live = document.getElementById('live');
  if (!live || typeof window.EventSource !== 'function' || typeof window.fetch !== 'function') return;
  const label = live.querySelector('.live-text');
  live.hidden = false;

  function setLive(state, text) {
    live.dataset.state = state;
    label.textContent = text;
  }

  // A <details> element is recognised across refreshes by the check it belongs to and its position.
  function detailsKey(d, index) {
    const owner = d.closest('[data-check]');
    return (owner ? owner.dataset.check : '') + '#' + index;
  }

  function swapMain(html) {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const next = doc.querySelector('main');
    const current = document.querySelector('main');
    if (!next || !current) return;
    const open = new Map();
    current.querySelectorAll('details').forEach((d, i) => open.set(detailsKey(d, i), d.open));
    next.querySelectorAll('details').forEach((d, i) => {
      const key = detailsKey(d, i);
      if (open.has(key)) d.open = open.get(key);
    });
    current.replaceWith(document.adoptNode(next));
    document.title = doc.title;
    document.dispatchEvent(new CustomEvent('csoc:updated'));
  }

  let pending = null;
  let inFlight = false;
  let again = false;

  async function refresh() {
    pending = null;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const res = await fetch(window.location.href, {
        headers: { Accept: 'text/html' },
        cache: 'no-store',
        credentials: 'same-origin',
      });
      // Error pages (a check that disappeared, a restart) are shown as they are.
      swapMain(await res.text());
      if (live.dataset.state === 'stale') setLive('live', 'live');
    } catch (err) {
      setLive('stale', 'update failed');
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  // Events often come in bursts (a check, its service, its environment, its cluster): the first
  // one starts a short timer and the rest of the burst joins it.
  function schedule() {
    if (pending === null) pending = window.setTimeout(refresh, 400);
  }

  setLive('connecting', 'connecting');
  const stream = new EventSource('/api/v1/stream');
  stream.addEventListener('open', () => setLive('live', 'live'));
  stream.addEventListener('error', () => setLive('offline', 'reconnecting'));
  stream.addEventListener('state', schedule);

  // Relative times ("5m ago") age even when nothing changes.
  window.setInterval(() => {
    if (!document.hidden) schedule();
  }, 60000);
  window.addEventListener('pagehide', () => stream.close());
})();
