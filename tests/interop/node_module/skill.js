// One skill at run time: the PackML state machine around a simulated job, the current
// execution, and every execution id it has accepted (Start is idempotent per id).
//
// The job takes the capability's time model, setup_s + ceil(units / batch) * per_unit_s
// factory seconds, divided by the time scale; time held or suspended does not count.
"use strict";
const { nextState, settle } = require("./packml");

const UNITS_KEY = "_units"; // reserved parameter key: how many units this execution makes
const MAX_PARAMETERS_JSON = 64 * 1024;
const TICK_MS = 20;

class InvalidParameters extends Error {}

class Skill {
  /**
   * @param capability {name, parameters: [{name, min, max, unit, allowed, required}],
   *                    time: {setup_s, per_unit_s, batch_capacity, changeovers}}
   * @param options {timeScale, onChange(skill), onStart(execution), onTelemetry(name, v)}
   */
  constructor(capability, options) {
    this.capability = capability;
    this.timeScale = options.timeScale;
    this.onChange = options.onChange;
    this.onStart = options.onStart;
    this.onTelemetry = options.onTelemetry;
    this.state = "Idle";
    this.progress = 0;
    this.current = null; // {executionId, parameters, units, outcome, results}
    this.history = new Map(); // execution id -> execution, oldest first
    this.timer = null;
    this.completed = 0;
  }

  /** Start(executionId, parametersJson): true when accepted now or before. */
  start(executionId, parametersJson) {
    if (this.history.has(executionId)) return true; // acknowledged again, never run twice
    if (!executionId || executionId.length > 200) {
      throw new InvalidParameters("executionId must be 1..200 characters");
    }
    const { parameters, units } = this.parse(parametersJson);
    const starting = nextState(this.state, "Start"); // refused unless Idle
    const execution = { executionId, parameters, units, outcome: "running", results: {} };
    this.history.set(executionId, execution);
    if (this.history.size > 10000) this.history.delete(this.history.keys().next().value);
    this.current = execution;
    this.progress = 0;
    this.onStart(execution);
    this.enter(starting);
    this.enter(settle(starting)); // Execute
    this.run(execution);
    return true;
  }

  /** Any PackML command but Start; throws CommandRefused when not allowed now. */
  command(name) {
    const acting = nextState(this.state, name);
    this.enter(acting);
    if (["Stop", "Abort", "ToComplete"].includes(name)) {
      clearInterval(this.timer);
      this.timer = null;
      if (this.current && this.current.outcome === "running") {
        this.current.outcome = { Stop: "stopped", Abort: "aborted", ToComplete: "complete" }[name];
      }
    }
    this.enter(settle(acting));
  }

  /** QueryExecution(executionId): [outcome, results]. */
  outcomeOf(executionId) {
    const execution = this.history.get(executionId);
    if (!execution) return ["unknown", {}];
    return [execution.outcome, execution.outcome === "complete" ? execution.results : {}];
  }

  run(execution) {
    const time = this.capability.time;
    const batches = Math.ceil(execution.units / (time.batch_capacity || 1));
    const factorySeconds = time.setup_s + batches * time.per_unit_s;
    const realMs = (factorySeconds / this.timeScale) * 1000;
    let spentMs = 0;
    this.timer = setInterval(() => {
      if (this.state !== "Execute") return; // held or suspended: the clock stops
      spentMs += TICK_MS;
      this.progress = Math.min(1, spentMs / realMs);
      if (spentMs < realMs) {
        this.onChange(this);
        return;
      }
      clearInterval(this.timer);
      this.timer = null;
      execution.outcome = "complete";
      execution.results = {
        units: execution.units,
        duration_s: factorySeconds,
        kerf_mm: 0.15,
      };
      this.completed += 1;
      this.onTelemetry("ExecutionsCompleted", this.completed);
      this.enter("Completing");
      this.enter("Complete");
    }, TICK_MS);
  }

  enter(state) {
    if (state === this.state) return;
    this.state = state;
    if (state === "Idle") {
      this.current = null;
      this.progress = 0;
    }
    this.onTelemetry("PowerKw", state === "Execute" ? 6.5 : 0.4);
    this.onChange(this);
  }

  /** The parameters as a JSON object, checked against the envelope; `_units` taken out. */
  parse(parametersJson) {
    if ((parametersJson || "").length > MAX_PARAMETERS_JSON) {
      throw new InvalidParameters("parametersJson is too large");
    }
    let parameters;
    try {
      parameters = JSON.parse(parametersJson || "{}");
    } catch (error) {
      throw new InvalidParameters(`parametersJson is not JSON: ${error.message}`);
    }
    if (parameters === null || typeof parameters !== "object" || Array.isArray(parameters)) {
      throw new InvalidParameters("parametersJson must be a JSON object");
    }
    const units = UNITS_KEY in parameters ? parameters[UNITS_KEY] : 1;
    delete parameters[UNITS_KEY];
    if (!Number.isInteger(units) || units < 1 || units > 1000000) {
      throw new InvalidParameters(`${UNITS_KEY} must be an integer 1..1000000`);
    }
    const gaps = [];
    const declared = new Map(this.capability.parameters.map((p) => [p.name, p]));
    for (const p of this.capability.parameters) {
      if (p.required && !(p.name in parameters)) gaps.push(`parameter ${p.name} is required`);
    }
    for (const [name, value] of Object.entries(parameters)) {
      const p = declared.get(name);
      if (!p) gaps.push(`unknown parameter ${name}`);
      else if (p.allowed && !p.allowed.includes(String(value))) gaps.push(`${name}=${value}`);
      else if (p.min !== null && (typeof value !== "number" || value < p.min || value > p.max)) {
        gaps.push(`${name}=${value} is outside ${p.min}..${p.max}`);
      }
    }
    if (gaps.length) throw new InvalidParameters(gaps.join("; "));
    return { parameters, units };
  }
}

module.exports = { Skill, InvalidParameters, UNITS_KEY };
