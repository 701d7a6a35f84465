// Small helpers shared by the pages: building elements (text is always set as text,
// never parsed as HTML: names and messages come from recipes and modules), times, fetch.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function build(ns, tag, attrs, children) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of [].concat(children === undefined ? [] : children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const h = (tag, attrs, children) => build(null, tag, attrs, children);
const s = (tag, attrs, children) => build(SVG_NS, tag, attrs, children);

function table(headers, rows, attrs) {
  return h("table", attrs, [
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", {}, t)))),
    h("tbody", {}, rows),
  ]);
}

function ms(text) {
  return text ? Date.parse(text) : NaN;
}

function clockText(when) {
  if (!when || Number.isNaN(when)) return "-";
  return new Date(when).toISOString().slice(5, 16).replace("T", " ");
}

function durationText(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "-";
  const sign = seconds < 0 ? "-" : "+";
  let rest = Math.round(Math.abs(seconds));
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hms = [Math.floor(rest / 3600), Math.floor((rest % 3600) / 60), rest % 60]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
  return sign + (days ? days + "d " : "") + hms;
}

function enumText(value, prefix) {
  return String(value || "").replace(prefix, "").replaceAll("_", " ").toLowerCase();
}

function orderColour(orderId) {
  let hash = 0;
  for (const c of String(orderId)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${(hash * 137) % 360}, 55%, 55%)`;
}

async function getJson(url) {
  const answer = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await answer.json();
  if (!answer.ok) throw Object.assign(new Error(body.error || answer.statusText), { body });
  return body;
}

async function postJson(url, payload) {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload || {}),
  });
  const body = await answer.json();
  if (!answer.ok) throw Object.assign(new Error(body.error || answer.statusText), { body });
  return body;
}

function progressBar(fraction) {
  if (fraction === null || fraction === undefined) return h("span", { class: "muted" }, "-");
  const percent = Math.round(fraction * 100);
  return h("span", { class: "progress", title: percent + "%" }, [
    h("span", { class: "progress-fill", style: `width:${percent}%` }),
    h("span", { class: "progress-text" }, percent + "%"),
  ]);
}
