// The console's core: which page is shown (the URL's #hash), what was fetched for it,
// and the event stream that says when to fetch again. Every event from the server
// schedules one refresh of the current page (bursts coalesce), so a change on the
// floor is on screen well within a second; nothing polls.
"use strict";

const data = {
  status: null, // /api/status: floor, modules, orders
  gantt: null, // /api/gantt: plan and attempts
  detail: null, // /api/orders/ID or /api/modules/ID
  events: [], // the latest events, oldest first
  fetchedAt: 0, // Date.now() when factory_time was read
  factoryTime: 0,
  timeScale: 1,
  now() {
    return this.factoryTime + (Date.now() - this.fetchedAt) * this.timeScale;
  },
};
const MAX_EVENTS = 500;
let refreshTimer = null;
let lastResult = null; // what the last action said, kept across re-renders of its page

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const page = parts[0] || "floor";
  if (page === "orders" && parts[1]) return { page: "order", id: parts[1] };
  if (page === "modules" && parts[1]) return { page: "module", id: parts[1] };
  return { page: PAGES[page] ? page : "floor" };
}

async function load(where) {
  const status = await getJson("/api/status");
  data.status = status;
  data.factoryTime = Date.parse(status.factory_time);
  data.fetchedAt = Date.now();
  data.timeScale = status.time_scale;
  if (where.page === "gantt") data.gantt = await getJson("/api/gantt");
  if (where.page === "order") data.detail = await getJson(`/api/orders/${encodeURIComponent(where.id)}`);
  if (where.page === "module") data.detail = await getJson(`/api/modules/${encodeURIComponent(where.id)}`);
}

async function render() {
  const where = route();
  const main = document.getElementById("page");
  try {
    await load(where);
  } catch (error) {
    main.replaceChildren(h("h1", {}, "Not available"), violations(error));
    return;
  }
  if (route().page !== where.page) return; // navigated away meanwhile
  const focused = document.activeElement && document.activeElement.id;
  const kept = main.dataset.route === location.hash ? preserved(main) : {};
  main.dataset.route = location.hash;
  main.replaceChildren(...[].concat(PAGES[where.page](data)).filter(Boolean));
  restore(main, kept);
  if (lastResult && lastResult.page === location.hash) {
    const slot = main.querySelector("#action-result");
    if (slot) slot.replaceChildren(lastResult.node);
  }
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("current", a.dataset.page === where.page);
  }
  main.dataset.rendered = String(Date.now());
}

// What the planner is using survives a refresh of the same page: a file chosen, a
// what-if typed, and the buttons themselves (a click never lands on a replaced one).
function preserved(main) {
  const kept = {};
  for (const button of main.querySelectorAll("button[id]")) kept[button.id] = { button };
  for (const input of main.querySelectorAll("input[id], select[id]")) {
    if (input.type === "file") kept[input.id] = { node: input };
    else if (input.multiple) kept[input.id] = { selected: [...input.selectedOptions].map((o) => o.value) };
    else kept[input.id] = { value: input.value };
  }
  const result = main.querySelector("#what-if-result");
  if (result) kept["what-if-result"] = { node: result };
  return kept;
}

function restore(main, kept) {
  for (const [id, saved] of Object.entries(kept)) {
    const now = main.querySelector("#" + CSS.escape(id));
    if (!now) continue;
    if (saved.button) {
      saved.button.disabled = now.disabled; // the state is fresh, the element is not
      now.replaceWith(saved.button);
    } else if (saved.node) now.replaceWith(saved.node);
    else if (saved.selected) for (const o of now.options) o.selected = saved.selected.includes(o.value);
    else now.value = saved.value;
  }
}

function refreshSoon() {
  if (refreshTimer !== null) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    render();
  }, 100);
}

function showResult(node) {
  lastResult = { page: location.hash, node };
  const slot = document.getElementById("action-result");
  if (slot) slot.replaceChildren(node);
}

function confirmed(question) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = question;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// Asks, then does it; shows what the server said (with file:line for a bad recipe).
async function act(question, work) {
  if (!(await confirmed(question))) return;
  try {
    showResult(h("p", { id: "action-ok", class: "ok" }, await work()));
  } catch (error) {
    showResult(violations(error));
  }
  refreshSoon();
}

function requestId() {
  return "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
}

function follow() {
  const live = document.getElementById("live");
  const stream = new EventSource("/api/events");
  stream.addEventListener("open", () => {
    live.dataset.live = "live";
    live.textContent = "live";
  });
  stream.addEventListener("error", () => {
    live.dataset.live = "reconnecting";
    live.textContent = "reconnecting";
  });
  stream.addEventListener("pnp", (message) => {
    data.events.push(JSON.parse(message.data));
    if (data.events.length > MAX_EVENTS) data.events.splice(0, data.events.length - MAX_EVENTS);
    refreshSoon();
  });
}

function tick() {
  if (data.fetchedAt) document.getElementById("clock").textContent = "factory time " + clockText(data.now());
  const chart = document.getElementById("gantt");
  if (chart && chart.moveNow) chart.moveNow(data.now());
}

// Who this browser is to the console: the certificate's identity and role, or a
// reminder that a plain console has no identities at all.
async function whoAmI() {
  const who = document.getElementById("who");
  try {
    const me = await getJson("/api/me");
    who.dataset.role = me.role || "";
    who.textContent = me.secured ? `${me.caller}, ${me.role || "no valid role"}` : "no identities (plain HTTP)";
  } catch (error) {
    who.dataset.role = "";
    who.textContent = error.message;
  }
}

window.addEventListener("hashchange", () => {
  lastResult = null;
  render();
});
whoAmI();
render();
follow();
setInterval(tick, 1000);
