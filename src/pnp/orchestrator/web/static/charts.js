// The two drawings: the floor (docks where the layout puts them, each module on its
// dock coloured by liveness) and the Gantt chart (plan above, what ran below, per
// module, with a line at "now"). Plain SVG built from the JSON documents.
"use strict";

const DOCK_W = 150;
const DOCK_H = 84;

function floorDocks(status) {
  const layout = status.layout;
  if (layout && layout.docks.length) {
    return {
      docks: layout.docks.map((d) => ({ id: d.dock_id, x: d.x_m, y: d.y_m })),
      links: layout.links,
    };
  }
  // An open floor (no --layout): the docks modules named, in a row.
  const ids = [...new Set(status.modules.map((m) => m.dock))].sort();
  return { docks: ids.map((id, i) => ({ id, x: (i % 6) * 10, y: Math.floor(i / 6) * 10 })), links: [] };
}

function drawFloor(status, onModule) {
  const { docks, links } = floorDocks(status);
  if (!docks.length) return h("p", { class: "muted" }, "No docks and no modules yet.");
  const xs = docks.map((d) => d.x);
  const ys = docks.map((d) => d.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min(
    maxX > minX ? 900 / (maxX - minX) : 1,
    maxY > minY ? 420 / (maxY - minY) : 1,
    40,
  );
  const place = (d) => ({ x: 20 + (d.x - minX) * scale, y: 20 + (d.y - minY) * scale });
  const at = Object.fromEntries(docks.map((d) => [d.id, place(d)]));
  const width = Math.max(...Object.values(at).map((p) => p.x)) + DOCK_W + 20;
  const height = Math.max(...Object.values(at).map((p) => p.y)) + DOCK_H + 20;
  const onDock = {};
  for (const m of status.modules) {
    if (m.floor_state !== "gone") onDock[m.dock] = m; // the module there now
  }
  const drawn = [];
  for (const link of links) {
    const a = at[link.from_dock_id];
    const b = at[link.to_dock_id];
    if (!a || !b) continue;
    drawn.push(
      s("line", {
        class: "link",
        x1: a.x + DOCK_W / 2, y1: a.y + DOCK_H / 2, x2: b.x + DOCK_W / 2, y2: b.y + DOCK_H / 2,
      }),
    );
  }
  for (const dock of docks) {
    const p = at[dock.id];
    const module = onDock[dock.id];
    const parts = [
      s("rect", { class: "dock-frame", x: p.x, y: p.y, width: DOCK_W, height: DOCK_H, rx: 6 }),
      s("text", { class: "dock-label", x: p.x + 6, y: p.y + 14 }, dock.id),
    ];
    if (module) {
      const progress = module.progress === null ? 0 : module.progress;
      parts.push(
        s("g", {
          class: "module", "data-module-id": module.module_id, "data-floor-state": module.floor_state,
          onclick: () => onModule(module.module_id),
        }, [
          s("title", {}, `${module.module_id}: ${module.floor_state}, ${module.state}`),
          s("rect", { class: `module-box state-${module.floor_state}`, x: p.x + 4, y: p.y + 20, width: DOCK_W - 8, height: DOCK_H - 24, rx: 4 }),
          s("text", { class: "module-id", x: p.x + 10, y: p.y + 36 }, module.module_id),
          s("text", { class: "module-state", x: p.x + 10, y: p.y + 51 }, module.floor_state + " · " + module.state),
          s("text", { class: "module-op", x: p.x + 10, y: p.y + 66 }, module.operation_id || "idle"),
          s("rect", { class: "module-progress", x: p.x + 10, y: p.y + 71, width: (DOCK_W - 20) * progress, height: 4 }),
        ]),
      );
    }
    drawn.push(s("g", { class: "dock", "data-dock": dock.id }, parts));
  }
  return s("svg", { id: "floor", viewBox: `0 0 ${width} ${height}`, width, height }, drawn);
}

const LANE_H = 40;
const LABEL_W = 170;
const AXIS_H = 24;

function ganttRange(doc, now) {
  const times = [now];
  for (const a of doc.plan.assignments || []) times.push(ms(a.start), ms(a.end));
  for (const a of doc.attempts) times.push(ms(a.started_at), a.ended_at ? ms(a.ended_at) : now);
  const valid = times.filter((t) => !Number.isNaN(t));
  let [t0, t1] = [Math.min(...valid), Math.max(...valid)];
  if (t1 - t0 < 60000) t1 = t0 + 60000;
  const pad = (t1 - t0) * 0.02;
  return [t0 - pad, t1 + pad];
}

function drawGantt(doc, now, width, onOrder) {
  const lanes = doc.lanes;
  const [t0, t1] = ganttRange(doc, now);
  const plotW = Math.max(width - LABEL_W - 10, 200);
  const x = (t) => LABEL_W + ((t - t0) / (t1 - t0)) * plotW;
  const height = AXIS_H + lanes.length * LANE_H + 4;
  const row = Object.fromEntries(lanes.map((id, i) => [id, AXIS_H + i * LANE_H]));
  const parts = [];
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    parts.push(s("line", { class: "tick", x1: x(t), x2: x(t), y1: AXIS_H - 4, y2: height }));
    parts.push(s("text", { class: "tick-label", x: x(t), y: 14, "text-anchor": "middle" }, clockText(t).slice(6)));
  }
  lanes.forEach((id, i) => {
    const y = row[id];
    parts.push(s("rect", { class: i % 2 ? "lane odd" : "lane", x: 0, y, width: LABEL_W + plotW, height: LANE_H }));
    parts.push(s("text", { class: "lane-label", x: 6, y: y + LANE_H / 2 + 4 }, id));
  });
  const bar = (cls, op, module, start, end, top, tall, extra) => {
    if (row[module] === undefined || Number.isNaN(start)) return null;
    const x0 = x(start);
    return s("rect", {
      class: cls, "data-operation-id": op.operation_id, "data-order-id": op.order_id,
      x: x0, y: row[module] + top, width: Math.max(x(end) - x0, 2), height: tall,
      fill: orderColour(op.order_id), onclick: () => onOrder(op.order_id), ...extra,
    }, s("title", {}, op.title));
  };
  for (const a of doc.plan.assignments || []) {
    const title = `${a.operation_id} on ${a.module_id}: ${clockText(ms(a.start))} → ${clockText(ms(a.end))} (plan)`;
    parts.push(bar("bar planned", { ...a, title }, a.module_id, ms(a.start), ms(a.end), 4, 18, {}));
  }
  for (const a of doc.attempts) {
    const state = enumText(a.state, "ATTEMPT_STATE_");
    const end = a.ended_at ? ms(a.ended_at) : now;
    const title = `${a.operation_id} on ${a.module_id}: ${state}${a.error ? " — " + a.error : ""}`;
    parts.push(bar(`bar ran ran-${state}`, { ...a, title }, a.module_id, ms(a.started_at), end, 25, 11, { "data-state": state }));
  }
  parts.push(s("line", { id: "now-line", x1: x(now), x2: x(now), y1: AXIS_H - 6, y2: height }));
  const svg = s("svg", { id: "gantt", width: LABEL_W + plotW + 10, height }, parts);
  svg.moveNow = (t) => {
    const line = svg.querySelector("#now-line");
    line.setAttribute("x1", x(t));
    line.setAttribute("x2", x(t));
  };
  return svg;
}

function sparkline(values) {
  const width = 160;
  const height = 28;
  const ys = values.map((v) => v[1]);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const points = ys.map((v, i) => {
    const px = ys.length > 1 ? (i / (ys.length - 1)) * width : width / 2;
    const py = hi > lo ? height - 2 - ((v - lo) / (hi - lo)) * (height - 4) : height / 2;
    return `${px.toFixed(1)},${py.toFixed(1)}`;
  });
  return s("svg", { class: "spark", width, height }, s("polyline", { points: points.join(" ") }));
}
