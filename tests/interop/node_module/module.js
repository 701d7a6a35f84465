// A pnp module in Node.js, built from docs/module-contract.md alone: node-opcua serves one
// skill (cutting.laser) as the contract's information model, @grpc/grpc-js keeps it
// registered with the orchestrator.
//
//   node module.js --orchestrator 127.0.0.1:50051 --module-id node-laser-a2 --dock A2 \
//       --opcua-port 4841 [--time-scale 1] [--journal FILE] [--no-orchestrator]
//
// Prints "SERVING <endpoint>" once OPC UA listens and "REGISTERED <module id> epoch <n>"
// when a session's first heartbeat is acknowledged; logs go to stderr. SIGTERM
// deregisters and stops; SIGKILL is a module pulled out mid-job.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { parseArgs } = require("util");
const { BUSY } = require("./packml");
const { Skill } = require("./skill");
const { ModuleServer } = require("./opcua_server");
const { RegistrySession, RegistrationRefused } = require("./registry_session");
const { LeaderTerm } = require("./fencing");

const REPO = path.resolve(__dirname, "..", "..", "..");

// The module's product: what it can do, in the contract's envelope form (the same JSON
// the skill publishes as Envelope).
const VENDOR = "Nodeworks";
const MODEL = "NL-1 Fiber Laser (Node.js)";
const CAPABILITY = {
  name: "cutting.laser",
  parameters: [
    {
      name: "material", min: null, max: null, unit: "",
      allowed: ["steel-s235", "aluminium-6061"], required: true,
    },
    { name: "thickness_mm", min: 0.5, max: 12, unit: "mm", allowed: null, required: true },
  ],
  time: { setup_s: 30, per_unit_s: 60, batch_capacity: 1, changeovers: [] },
};
const UTILITIES = { power_kw: 12, air_nl_per_min: 100, water_l_per_min: 4 };

function options() {
  const { values } = parseArgs({
    options: {
      orchestrator: { type: "string", default: "127.0.0.1:50051" },
      "no-orchestrator": { type: "boolean", default: false },
      "module-id": { type: "string", default: "node-laser-a2" },
      dock: { type: "string", default: "A2" },
      "opcua-port": { type: "string", default: "4841" },
      "time-scale": { type: "string", default: "1" },
      journal: { type: "string" },
      "proto-root": { type: "string", default: path.join(REPO, "proto") },
      nodeset: {
        type: "string", default: path.join(REPO, "sdk/src/pnp/v1/pnp-module.NodeSet2.xml"),
      },
      pki: { type: "string" },
    },
  });
  return values;
}

function descriptor(moduleId, dock, endpoint) {
  return {
    module_id: moduleId,
    vendor: VENDOR,
    model: MODEL,
    serial: `SN-${moduleId}`,
    footprint: "FOOTPRINT_ISO_10FT",
    dock,
    opcua_endpoint: endpoint,
    kind: "node-laser",
    utilities: UTILITIES,
    capabilities: [{
      name: CAPABILITY.name,
      parameters: CAPABILITY.parameters.map((p) => (p.allowed
        ? { name: p.name, required: p.required, allowed: { values: p.allowed } }
        : { name: p.name, required: p.required, range: { min: p.min, max: p.max, unit: p.unit } })),
      time_model: {
        setup_seconds: CAPABILITY.time.setup_s,
        seconds_per_unit: CAPABILITY.time.per_unit_s,
        batch_capacity: CAPABILITY.time.batch_capacity,
        changeovers: [],
      },
    }],
  };
}

// MachineryItemState from the skills' PackML states (docs/module-contract.md, 2.5).
function itemState(skills, released) {
  const states = skills.map((s) => s.state);
  if (states.some((s) => BUSY.has(s))) return "Executing";
  if (states.some((s) => ["Aborting", "Aborted", "Clearing"].includes(s))) return "NotAvailable";
  if (released || states.some((s) => ["Stopping", "Stopped"].includes(s))) return "OutOfService";
  return "NotExecuting";
}
const ITEM_STATE_CODES = {
  NotAvailable: "ITEM_STATE_NOT_AVAILABLE",
  OutOfService: "ITEM_STATE_OUT_OF_SERVICE",
  NotExecuting: "ITEM_STATE_NOT_EXECUTING",
  Executing: "ITEM_STATE_EXECUTING",
};

async function main() {
  const args = options();
  const moduleId = args["module-id"];
  const log = (message) => console.error(`${new Date().toISOString()} ${moduleId}: ${message}`);
  const leaderTerm = new LeaderTerm(); // the newest leader term seen, by Start and session
  const server = new ModuleServer({
    moduleId, vendor: VENDOR, model: MODEL, port: Number(args["opcua-port"]),
    nodeset: args.nodeset, leaderTerm, log,
    pkiFolder: args.pki || fs.mkdtempSync(path.join(os.tmpdir(), "pnp-node-module-")),
  });
  let session = null;
  let lastItemState = "NotExecuting";
  let released = false; // told by the orchestrator that it may be unplugged
  const skills = [];
  const refreshItemState = () => {
    const now = itemState(skills, released);
    if (now === lastItemState) return;
    lastItemState = now;
    server.publishItemState(now);
    if (session) session.reportItemState(ITEM_STATE_CODES[now]);
  };
  const skill = new Skill(CAPABILITY, {
    timeScale: Number(args["time-scale"]),
    onChange: (changed) => {
      server.publishSkill(changed);
      refreshItemState();
    },
    onStart: (execution) => {
      log(`accepted ${execution.executionId}`);
      if (args.journal) {
        const line = {
          execution_id: execution.executionId, capability: CAPABILITY.name,
          module_id: moduleId, boot_id: session ? session.bootId : "",
          accepted_at: new Date().toISOString(),
        };
        fs.appendFileSync(args.journal, JSON.stringify(line) + "\n");
      }
    },
    onTelemetry: (name, value) => server.publishTelemetry(name, value),
  });
  skills.push(skill);
  await server.start(skills);
  server.publishTelemetry("PowerKw", 0.4);
  console.log(`SERVING ${server.endpoint}`);

  const shutdown = async () => {
    if (session) await session.stop();
    await server.stop();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  if (args["no-orchestrator"]) return;

  session = new RegistrySession({
    target: args.orchestrator,
    protoRoot: args["proto-root"],
    descriptor: () => descriptor(moduleId, args.dock, server.endpoint),
    leaderTerm,
    onRegistered: (registration) =>
      console.log(`REGISTERED ${registration.module_id} epoch ${registration.epoch}`),
    onDirective: (directive) => {
      log(`directive ${directive.kind} (${directive.reason})`);
      // CONFIGURE: this laser has no changeovers; DRAIN: no new work will come, the
      // current job finishes; RELEASE: we may be unplugged.
      if (directive.kind === "DIRECTIVE_KIND_RELEASE") {
        released = true;
        refreshItemState();
      }
    },
    log,
  });
  try {
    await session.run();
  } catch (error) {
    if (!(error instanceof RegistrationRefused)) throw error;
    log(`refused by the orchestrator: ${error.message}`);
    await server.stop();
    process.exit(3);
  }
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
