// One function per page: each takes what the console has fetched and returns the
// page's elements. Actions go through `act` (console.js), which asks first.
"use strict";

const PAGES = {};

function link(text, hash) {
  return h("a", { href: hash }, text);
}

function statePill(text, kind) {
  return h("span", { class: `pill pill-${String(kind || text).replaceAll(" ", "-")}` }, text);
}

function violations(error) {
  const listed = (error.body && error.body.violations) || [];
  return h("div", { id: "action-errors", class: "errors" }, [
    h("strong", {}, error.message),
    listed.length ? h("ul", {}, listed.map((v) => h("li", {}, v))) : null,
  ]);
}

PAGES.floor = (data) => {
  const status = data.status;
  const rows = status.modules.map((m) =>
    h("tr", { "data-module-id": m.module_id, "data-floor-state": m.floor_state }, [
      h("td", {}, link(m.module_id, `#/modules/${encodeURIComponent(m.module_id)}`)),
      h("td", {}, m.kind),
      h("td", {}, m.dock),
      h("td", { class: "floor-state" }, statePill(m.floor_state)),
      h("td", {}, m.state),
      h("td", {}, m.operation_id || "-"),
      h("td", {}, progressBar(m.progress)),
      h("td", {}, m.floor_state === "alive" || m.floor_state === "draining" ? m.lease_left_seconds.toFixed(1) + " s" : "-"),
      h("td", { class: "health" }, m.health === null || m.health === undefined ? "-" : m.health.toFixed(2)),
    ]),
  );
  return [
    h("h1", {}, status.layout ? `Floor: ${status.layout.name}` : "Floor"),
    h("p", { class: "muted" }, `plan v${status.plan_version} (${status.plan_status}) · ${status.modules.length} module(s)`),
    drawFloor(status, (id) => (location.hash = `#/modules/${encodeURIComponent(id)}`)),
    table(["module", "kind", "dock", "liveness", "state", "operation", "progress", "lease", "health"], rows, { id: "modules" }),
  ];
};

PAGES.orders = (data) => {
  const rows = data.status.orders.map((o) =>
    h("tr", { "data-order-id": o.order_id, "data-risk": o.risk }, [
      h("td", {}, link(o.order_id, `#/orders/${encodeURIComponent(o.order_id)}`)),
      h("td", {}, o.name),
      h("td", {}, statePill(o.state)),
      h("td", {}, progressBar(o.operations_total ? o.operations_done / o.operations_total : null)),
      h("td", {}, `${o.operations_done}/${o.operations_total}`),
      h("td", {}, clockText(ms(o.eta))),
      h("td", {}, clockText(ms(o.due))),
      h("td", { class: o.slack_seconds !== null && o.slack_seconds < 0 ? "late" : "" }, durationText(o.slack_seconds)),
      h("td", {}, statePill(o.risk)),
    ]),
  );
  const file = h("input", { type: "file", id: "recipe-file", accept: ".yaml,.yml" });
  const submit = async () => {
    // Looked up, not closed over: a refresh keeps the chosen file in the input it had.
    const chosen = document.getElementById("recipe-file").files[0];
    if (!chosen) return showResult(h("div", { id: "action-errors", class: "errors" }, "Choose a recipe file first."));
    const text = await chosen.text();
    await act(`Submit the order in ${chosen.name}?`, async () => {
      const answer = await postJson("/api/orders", { recipe: text, filename: chosen.name, request_id: requestId() });
      return `order ${answer.order.order_id} (${answer.order.name}) submitted`;
    });
  };
  return [
    h("h1", {}, "Orders"),
    h("section", { class: "action" }, [
      h("label", { for: "recipe-file" }, "Recipe "), file,
      h("button", { id: "submit-recipe", onclick: submit }, "Submit order"),
    ]),
    h("div", { id: "action-result" }),
    table(["order", "name", "state", "progress", "done", "ETA", "due", "slack", "due date"], rows, { id: "orders" }),
  ];
};

PAGES.gantt = (data) => {
  const gantt = data.gantt;
  const plan = gantt.plan;
  const status = enumText(plan.status, "PLAN_STATUS_");
  const chart = drawGantt(gantt, data.now(), Math.max(document.body.clientWidth - 40, 600),
    (id) => (location.hash = `#/orders/${encodeURIComponent(id)}`));
  return [
    h("h1", {}, "Gantt"),
    h("p", { class: "muted" }, [
      `plan v${plan.version} (${status}) · ${(plan.assignments || []).length} operation(s) planned · makespan ${durationText(plan.makespan_seconds).slice(1)} · solved in ${Number(plan.solve_seconds).toFixed(2)} s`,
      (plan.unplanned_order_ids || []).length ? ` · not planned: ${plan.unplanned_order_ids.join(", ")}` : "",
    ]),
    h("p", { class: "legend muted" }, "Each lane: the plan above, what ran below (outlined red: failed; dashed: still running). The red line is now."),
    h("div", { class: "scroll" }, chart),
  ];
};

PAGES.events = (data) => {
  const rows = data.events.slice().reverse().map((e) =>
    h("tr", { "data-sequence": e.sequence, "data-kind": e.kind }, [
      h("td", {}, e.sequence), h("td", {}, clockText(ms(e.time))), h("td", {}, e.kind),
      h("td", {}, e.subject), h("td", {}, e.message),
    ]),
  );
  return [h("h1", {}, "Events"), table(["#", "time", "kind", "subject", "message"], rows, { id: "events" })];
};

PAGES.order = (data) => {
  const doc = data.detail;
  const o = doc.order;
  const id = o.order_id;
  const attempts = doc.attempts.map((a) =>
    h("tr", { "data-execution-id": a.execution_id }, [
      h("td", {}, a.operation_id), h("td", {}, link(a.module_id, `#/modules/${encodeURIComponent(a.module_id)}`)),
      h("td", {}, a.epoch), h("td", {}, statePill(enumText(a.state, "ATTEMPT_STATE_"))),
      h("td", {}, clockText(ms(a.started_at))), h("td", {}, clockText(ms(a.ended_at))), h("td", {}, a.error),
    ]),
  );
  const planned = doc.planned.map((a) =>
    h("tr", {}, [h("td", {}, a.operation_id), h("td", {}, a.module_id), h("td", {}, clockText(ms(a.start))), h("td", {}, clockText(ms(a.end)))]),
  );
  const cancel = () => act(`Cancel order ${id}? Work in progress is aborted.`, async () => {
    await postJson(`/api/orders/${encodeURIComponent(id)}/cancel`);
    return `order ${id} cancelled`;
  });
  return [
    h("h1", {}, `Order ${id}: ${o.name}`),
    h("p", {}, [statePill(enumText(o.state, "ORDER_STATE_")), ` ${o.product} × ${o.quantity} · ${o.operations_done}/${o.operations_total} operations · due ${clockText(ms(o.due))} · from ${o.source}`]),
    h("p", {}, [
      h("a", { id: "package", href: `/api/orders/${encodeURIComponent(id)}/package`, download: `${id}.json` }, "Download data package"), " ",
      h("button", { id: "cancel-order", class: "danger", onclick: cancel }, "Cancel order"),
    ]),
    h("div", { id: "action-result" }),
    (o.unmatched || []).length ? h("div", { class: "errors" }, [h("strong", {}, "Cannot be made on this floor:"), h("ul", {}, o.unmatched.map((u) => h("li", {}, `${u.step_id}: ${u.reason}`)))]) : null,
    h("h2", {}, "Attempts"),
    table(["operation", "module", "epoch", "state", "started", "ended", "note"], attempts, { id: "attempts" }),
    h("h2", {}, "Planned"),
    table(["operation", "module", "start", "end"], planned),
  ];
};

function envelope(p) {
  if (p.range) return `${p.range.min} … ${p.range.max} ${p.range.unit || ""}`;
  if (p.allowed) return p.allowed.values.join(", ");
  return "any";
}

PAGES.module = (data) => {
  const doc = data.detail;
  const m = doc.module;
  const d = m.descriptor;
  const id = d.module_id;
  const capabilities = d.capabilities.map((c) =>
    h("tr", {}, [
      h("td", {}, c.name),
      h("td", {}, h("ul", { class: "plain" }, c.parameters.map((p) => h("li", {}, `${p.name}${p.required ? "*" : ""}: ${envelope(p)}`)))),
      h("td", {}, `${c.time_model.setup_seconds} s + ${c.time_model.seconds_per_unit} s/unit, batch ${c.time_model.batch_capacity}`),
    ]),
  );
  const telemetry = Object.entries(doc.telemetry).map(([name, values]) =>
    h("tr", {}, [h("td", {}, name), h("td", {}, values.length ? values[values.length - 1][1].toFixed(2) : "-"), h("td", {}, sparkline(values))]),
  );
  const attempts = doc.attempts.slice(-20).reverse().map((a) =>
    h("tr", {}, [h("td", {}, link(a.operation_id, `#/orders/${encodeURIComponent(a.order_id)}`)), h("td", {}, a.epoch), h("td", {}, statePill(enumText(a.state, "ATTEMPT_STATE_"))), h("td", {}, clockText(ms(a.started_at))), h("td", {}, a.error)]),
  );
  const drain = () => act(`Drain ${id}? It finishes its current operation, hands off the rest, and is released.`, async () => {
    await postJson(`/api/modules/${encodeURIComponent(id)}/drain`);
    return `${id} draining`;
  });
  return [
    h("h1", {}, `Module ${id}`),
    h("p", { id: "module-state", "data-floor-state": doc.floor_state }, [
      statePill(doc.floor_state), ` ${enumText(m.item_state, "ITEM_STATE_")} · epoch ${m.epoch} · lease ${doc.lease_left_seconds.toFixed(1)} s left · `,
      doc.operation_id ? [`running ${doc.operation_id} `, progressBar(doc.progress)] : "idle",
    ]),
    h("p", {}, h("button", { id: "drain-module", class: "danger", onclick: drain, disabled: m.draining || m.released }, "Drain module")),
    h("div", { id: "action-result" }),
    table(["", ""], [
      ["kind", d.kind], ["vendor / model / serial", `${d.vendor} / ${d.model} / ${d.serial}`], ["dock", d.dock],
      ["footprint", enumText(d.footprint, "FOOTPRINT_")], ["OPC UA endpoint", d.opcua_endpoint],
      ["utilities", `${d.utilities.power_kw} kW, ${d.utilities.air_nl_per_min} Nl/min air, ${d.utilities.water_l_per_min} l/min water`],
      ["registered", clockText(ms(m.registered_at))], ["lease until", clockText(ms(m.lease_expires_at))],
    ].map(([k, v]) => h("tr", {}, [h("th", {}, k), h("td", {}, v)])), { class: "facts" }),
    h("h2", {}, "Capabilities"),
    table(["capability", "envelope (* required)", "time model"], capabilities),
    h("h2", {}, "Telemetry (last attempts)"),
    telemetry.length ? table(["channel", "latest", "trend"], telemetry) : h("p", { class: "muted" }, "No telemetry recorded yet."),
    h("h2", {}, "Recent attempts"),
    table(["operation", "epoch", "state", "started", "note"], attempts),
  ];
};

PAGES["what-if"] = (data) => {
  const live = data.status.modules.filter((m) => m.floor_state !== "gone");
  const without = h("select", { id: "what-if-without", multiple: true, size: Math.min(live.length, 8) || 1 },
    live.map((m) => h("option", { value: m.module_id }, m.module_id)));
  const withKinds = h("input", { id: "what-if-with", placeholder: "KIND@DOCK, ... e.g. welding-cell@B4", size: 40 });
  const run = async () => {
    // Looked up, not closed over: refreshes keep the inputs and result that were shown.
    const out = document.getElementById("what-if-result");
    const without = document.getElementById("what-if-without");
    const withKinds = document.getElementById("what-if-with");
    out.replaceChildren(h("p", { class: "muted" }, "planning both floors..."));
    try {
      const answer = await postJson("/api/what-if", {
        without: [...without.selectedOptions].map((o) => o.value),
        with: withKinds.value.split(",").map((t) => t.trim()).filter(Boolean),
      });
      const kpi = (name, key, better) => {
        const [a, b] = [Number(answer.current_kpis[key] || 0), Number(answer.alternative_kpis[key] || 0)];
        const verdict = a === b ? "" : (b > a) === better ? "better" : "worse";
        return h("tr", {}, [h("td", {}, name), h("td", {}, a), h("td", {}, b), h("td", { class: verdict }, verdict)]);
      };
      out.replaceChildren(table(["KPI", "current", "what-if", ""], [
        kpi("orders planned", "orders_planned", true), kpi("orders on time", "orders_on_time", true),
        kpi("orders that cannot be made", "orders_unplanned", false),
        kpi("weighted tardiness (s)", "weighted_tardiness_seconds", false), kpi("makespan (s)", "makespan_seconds", false),
      ]));
    } catch (error) {
      out.replaceChildren(violations(error));
    }
  };
  return [
    h("h1", {}, "What if"),
    h("p", { class: "muted" }, "Plans a copy of the floor with modules taken out or added, next to a fresh plan of the floor as it is. The live plan is not touched."),
    h("section", { class: "action" }, [h("label", {}, "Without "), without, h("label", {}, " With "), withKinds, h("button", { id: "what-if-run", onclick: run }, "Compare")]),
    h("div", { id: "what-if-result" }),
  ];
};
