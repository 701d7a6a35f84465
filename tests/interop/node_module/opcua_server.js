// The module's OPC UA server (node-opcua): the information model of
// docs/module-contract.md, with ModuleType and SkillType loaded from the published
// NodeSet2 file, and one skill object per capability.
//
//   Objects/Module (ns urn:pnp:module, string NodeIds "<module id>.<path>")
//     ModuleId, Vendor, Model, ItemState
//     Skills/<capability>/CurrentState, StateNumber, ExecutionId, Progress, ResultJson,
//                         Envelope (property), Start (with leaderTerm), QueryExecution,
//                         Stop, Hold, Unhold,
//                         Suspend, Unsuspend, Abort, Clear, Reset, ToComplete
//     Telemetry/<name> (Double)
"use strict";
const path = require("path");
const {
  OPCUAServer, OPCUACertificateManager, nodesets, DataType, StatusCodes, Variant,
  SecurityPolicy, MessageSecurityMode,
} = require("node-opcua");
const { STATES, CommandRefused } = require("./packml");
const { InvalidParameters } = require("./skill");
const { uint64ToNumber } = require("./fencing");

const NAMESPACE_URI = "urn:pnp:module";
const COMMANDS = [
  "Stop", "Hold", "Unhold", "Suspend", "Unsuspend", "Abort", "Clear", "Reset", "ToComplete",
];

class ModuleServer {
  constructor({ moduleId, vendor, model, port, nodeset, pkiFolder, leaderTerm, log }) {
    this.moduleId = moduleId;
    this.leaderTerm = leaderTerm; // the fence, shared with the registry session
    this.log = log;
    this.vendor = vendor;
    this.model = model;
    this.port = port;
    this.nodeset = nodeset;
    this.pkiFolder = pkiFolder;
    this.skillNodes = new Map(); // capability -> {CurrentState, StateNumber, ...}
    this.telemetry = new Map(); // name -> variable
  }

  get endpoint() {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  async start(skills) {
    this.server = new OPCUAServer({
      port: this.port,
      nodeset_filename: [nodesets.standard, this.nodeset],
      // Development mode of the contract: NoSecurity only (see "Security").
      securityPolicies: [SecurityPolicy.None],
      securityModes: [MessageSecurityMode.None],
      allowAnonymous: true,
      serverCertificateManager: new OPCUACertificateManager({
        rootFolder: path.join(this.pkiFolder, "own"),
        automaticallyAcceptUnknownCertificate: false,
      }),
      serverInfo: { applicationUri: `urn:pnp:module:${this.moduleId}` },
      buildInfo: { productName: `pnp module ${this.moduleId}` },
    });
    await this.server.initialize();
    const addressSpace = this.server.engine.addressSpace;
    const ns = addressSpace.getNamespace(NAMESPACE_URI);
    const id = (...names) => `s=${[this.moduleId, ...names].join(".")}`;
    const moduleType = addressSpace.findObjectType("ModuleType", ns.index);
    const skillType = addressSpace.findObjectType("SkillType", ns.index);
    const folderType = addressSpace.findObjectType("FolderType");

    const module = ns.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: "Module",
      nodeId: id("Module"),
      typeDefinition: moduleType,
    });
    const string = (parent, name, value, nodeId, asProperty = false) =>
      ns.addVariable({
        [asProperty ? "propertyOf" : "componentOf"]: parent,
        browseName: name,
        nodeId,
        dataType: "String",
        value: { dataType: DataType.String, value },
      });
    string(module, "ModuleId", this.moduleId, id("Module", "ModuleId"));
    string(module, "Vendor", this.vendor, id("Module", "Vendor"));
    string(module, "Model", this.model, id("Module", "Model"));
    this.itemState = string(module, "ItemState", "NotExecuting", id("Module", "ItemState"));
    const skillsFolder = ns.addObject({
      componentOf: module, browseName: "Skills", nodeId: id("Module", "Skills"),
      typeDefinition: folderType,
    });
    this.telemetryFolder = ns.addObject({
      componentOf: module, browseName: "Telemetry", nodeId: id("Module", "Telemetry"),
      typeDefinition: folderType,
    });
    this.ns = ns;
    this.id = id;
    for (const skill of skills) this.addSkill(skillsFolder, skillType, skill);
    await this.server.start();
  }

  addSkill(folder, skillType, skill) {
    const ns = this.ns;
    const name = skill.capability.name;
    const id = (...names) => this.id("Module", "Skills", name, ...names);
    const object = ns.addObject({
      organizedBy: folder, browseName: name, nodeId: id(), typeDefinition: skillType,
    });
    const variable = (browseName, dataType, value) =>
      ns.addVariable({
        componentOf: object, browseName, nodeId: id(browseName), dataType,
        value: { dataType: DataType[dataType], value },
      });
    const nodes = {
      CurrentState: variable("CurrentState", "String", skill.state),
      StateNumber: variable("StateNumber", "Int32", STATES[skill.state]),
      ExecutionId: variable("ExecutionId", "String", ""),
      Progress: variable("Progress", "Double", 0),
      ResultJson: variable("ResultJson", "String", "{}"),
    };
    ns.addVariable({
      propertyOf: object, browseName: "Envelope", nodeId: id("Envelope"), dataType: "String",
      value: { dataType: DataType.String, value: JSON.stringify(skill.capability) },
    });
    this.skillNodes.set(name, nodes);

    const argument = (argName, dataType, description) =>
      ({ name: argName, dataType, valueRank: -1, description: { text: description } });
    const start = ns.addMethod(object, {
      browseName: "Start",
      nodeId: id("Start"),
      inputArguments: [
        argument("executionId", DataType.String, "the execution (attempt) id"),
        argument("parametersJson", DataType.String, "the step's parameters as a JSON object"),
        argument("leaderTerm", DataType.UInt64, "the calling orchestrator's fencing term"),
      ],
      outputArguments: [argument("accepted", DataType.Boolean, "true when accepted")],
    });
    start.bindMethod((inputs, _context, callback) => {
      // The term first: a deposed leader's Start must change nothing (section 1.6).
      const term = uint64ToNumber(inputs[2].value);
      if (!this.leaderTerm.admits(term)) {
        this.log(`refused a Start from a deposed leader: term ${term}, ` +
          `newest seen ${this.leaderTerm.highest}`);
        callback(null, { statusCode: StatusCodes.BadRequestNotAllowed });
        return;
      }
      try {
        const accepted = skill.start(String(inputs[0].value || ""), String(inputs[1].value || ""));
        callback(null, {
          statusCode: StatusCodes.Good,
          outputArguments: [new Variant({ dataType: DataType.Boolean, value: accepted })],
        });
      } catch (error) {
        callback(null, { statusCode: refusal(error) });
      }
    });
    const query = ns.addMethod(object, {
      browseName: "QueryExecution",
      nodeId: id("QueryExecution"),
      inputArguments: [argument("executionId", DataType.String, "an execution id")],
      outputArguments: [
        argument("outcome", DataType.String, "running, complete, stopped, aborted or unknown"),
        argument("resultsJson", DataType.String, "the results when complete, a JSON object"),
      ],
    });
    query.bindMethod((inputs, _context, callback) => {
      const [outcome, results] = skill.outcomeOf(String(inputs[0].value || ""));
      callback(null, {
        statusCode: StatusCodes.Good,
        outputArguments: [
          new Variant({ dataType: DataType.String, value: outcome }),
          new Variant({ dataType: DataType.String, value: JSON.stringify(results) }),
        ],
      });
    });
    for (const command of COMMANDS) {
      const method = ns.addMethod(object, {
        browseName: command, nodeId: id(command), inputArguments: [], outputArguments: [],
      });
      method.bindMethod((_inputs, _context, callback) => {
        try {
          skill.command(command);
          callback(null, { statusCode: StatusCodes.Good, outputArguments: [] });
        } catch (error) {
          callback(null, { statusCode: refusal(error) });
        }
      });
    }
  }

  publishSkill(skill) {
    const nodes = this.skillNodes.get(skill.capability.name);
    if (!nodes) return;
    const current = skill.current;
    const complete = current && current.outcome === "complete";
    const set = (node, dataType, value) => node.setValueFromSource({ dataType, value });
    set(nodes.ResultJson, DataType.String, JSON.stringify(complete ? current.results : {}));
    set(nodes.ExecutionId, DataType.String, current ? current.executionId : "");
    set(nodes.Progress, DataType.Double, skill.progress);
    set(nodes.StateNumber, DataType.Int32, STATES[skill.state]);
    set(nodes.CurrentState, DataType.String, skill.state);
  }

  publishItemState(itemState) {
    if (this.itemState) {
      this.itemState.setValueFromSource({ dataType: DataType.String, value: itemState });
    }
  }

  publishTelemetry(name, value) {
    let node = this.telemetry.get(name);
    if (!node) {
      node = this.ns.addVariable({
        componentOf: this.telemetryFolder, browseName: name,
        nodeId: this.id("Module", "Telemetry", name), dataType: "Double",
        value: { dataType: DataType.Double, value },
      });
      this.telemetry.set(name, node);
    }
    node.setValueFromSource({ dataType: DataType.Double, value });
  }

  async stop() {
    if (this.server) await this.server.shutdown(0);
  }
}

function refusal(error) {
  if (error instanceof CommandRefused) return StatusCodes.BadInvalidState;
  if (error instanceof InvalidParameters) return StatusCodes.BadInvalidArgument;
  console.error(error);
  return StatusCodes.BadInternalError;
}

module.exports = { ModuleServer };
