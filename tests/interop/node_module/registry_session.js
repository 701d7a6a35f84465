// The module's side of pnp.v1.ModuleRegistry (gRPC, proto/pnp/v1/registry.proto):
// register, hold the Session stream with heartbeats at the granted interval, obey
// directives, and register again (same boot id, so the same epoch) after any outage,
// with jittered exponential backoff.
//
// The target may list orchestrator replicas ("host:port,host:port"): a standby answers
// UNAVAILABLE naming the leader in the "pnp-leader" trailing metadata, which we follow;
// any other failure moves on to the next address (docs/module-contract.md, 1.6). Every
// answer carries the leader's term: an older one than we have seen is a deposed leader.
"use strict";
const crypto = require("crypto");
const path = require("path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

// Refusals that retrying cannot fix (docs/module-contract.md, "Status codes").
const PERMANENT = new Set([
  grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION, grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED, grpc.status.UNIMPLEMENTED,
]);
const RPC_DEADLINE_MS = 5000;
const LEADER_METADATA_KEY = "pnp-leader";
const BACKOFF = { initial: 200, maximum: 5000, factor: 2 };

class RegistrationRefused extends Error {}
class Deposed extends Error {}

function loadRegistry(protoRoot) {
  const definition = protoLoader.loadSync(path.join("pnp", "v1", "registry.proto"), {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).pnp.v1.ModuleRegistry;
}

const seconds = (duration) => Number(duration.seconds) + duration.nanos / 1e9;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class RegistrySession {
  /** descriptor(): the pnp.v1.ModuleDescriptor to register with (a plain object). */
  constructor({ target, protoRoot, descriptor, leaderTerm, onDirective, onRegistered, log }) {
    this.targets = target.split(",").map((address) => address.trim());
    this.current = 0; // index into targets, or the leader a standby named
    this.redirect = null;
    this.leaderTerm = leaderTerm;
    this.Registry = loadRegistry(protoRoot);
    this.descriptor = descriptor;
    this.onDirective = onDirective;
    this.onRegistered = onRegistered;
    this.log = log;
    this.bootId = crypto.randomUUID();
    this.itemState = "ITEM_STATE_NOT_EXECUTING";
    this.registration = null;
    this.call = null;
    this.stopped = false;
  }

  reportItemState(itemState) {
    this.itemState = itemState;
    if (this.call) this.write({ state: { item_state: itemState } });
  }

  get target() {
    return this.redirect || this.targets[this.current];
  }

  /** Registers and holds the session until stop(); throws RegistrationRefused. */
  async run() {
    let delay = BACKOFF.initial;
    let failures = 0; // addresses that failed in a row
    while (!this.stopped) {
      const client = new this.Registry(this.target, grpc.credentials.createInsecure());
      let leader = null;
      try {
        const answer = await this.register(client);
        if (!this.leaderTerm.admits(Number(answer.leader_term))) {
          throw new Deposed(`${this.target} is a deposed leader (term ${answer.leader_term})`);
        }
        this.registration = answer;
        delay = BACKOFF.initial;
        failures = 0;
        await this.holdSession(client, this.registration);
      } catch (error) {
        if (error.code !== undefined && PERMANENT.has(error.code)) {
          throw new RegistrationRefused(`${grpc.status[error.code]}: ${error.details}`);
        }
        if (error.code === grpc.status.UNAVAILABLE && error.metadata) {
          [leader] = error.metadata.get(LEADER_METADATA_KEY);
        }
        this.log(`registry at ${this.target}: ${error.details || error.message}; ` +
          "registering again");
      } finally {
        this.call = null;
        client.close();
      }
      if (this.stopped) break;
      failures += 1;
      if (leader && leader !== this.target) {
        this.redirect = String(leader); // a standby named the leader: go there next
      } else {
        this.redirect = null;
        this.current = (this.current + 1) % this.targets.length;
      }
      if (failures <= this.targets.length) {
        await sleep(Math.random() * BACKOFF.initial); // another replica: soon
        continue;
      }
      // Every replica failed since the last success. Full jitter: a floor of modules
      // does not reconnect in lockstep.
      failures = 0;
      await sleep(delay / 2 + Math.random() * (delay / 2));
      delay = Math.min(BACKOFF.maximum, delay * BACKOFF.factor);
    }
  }

  register(client) {
    const request = {
      descriptor: this.descriptor(),
      boot_id: this.bootId,
      request_id: crypto.randomUUID(),
    };
    return new Promise((resolve, reject) => {
      client.RegisterModule(request, { deadline: Date.now() + RPC_DEADLINE_MS }, (error, answer) =>
        error ? reject(error) : resolve(answer));
    });
  }

  /** Resolves never; rejects when the stream ends, fails, or goes a lease without an ack. */
  holdSession(client, registration) {
    const intervalMs = seconds(registration.heartbeat_interval) * 1000;
    const ttlMs = seconds(registration.lease_ttl) * 1000;
    const epoch = registration.epoch;
    return new Promise((_resolve, reject) => {
      const call = client.Session();
      this.call = call;
      let lastAck = Date.now();
      let sequence = 0;
      let acked = 0; // the newest heartbeat acknowledged
      let acknowledged = false;
      let ended = false;
      const end = (error) => {
        if (ended) return;
        ended = true;
        clearInterval(beat);
        if (this.call === call) this.call = null;
        call.cancel();
        reject(error);
      };
      call.on("data", (message) => {
        if (message.message === "heartbeat_ack") {
          const term = Number(message.heartbeat_ack.leader_term);
          if (!this.leaderTerm.admits(term)) {
            end(new Deposed(`a deposed leader acknowledged (term ${term})`));
            return;
          }
          lastAck = Date.now();
          acked = Math.max(acked, Number(message.heartbeat_ack.sequence));
          if (!acknowledged) {
            acknowledged = true;
            this.onRegistered(registration);
          }
        } else if (message.message === "directive") {
          const directive = message.directive;
          if (Number(directive.epoch) !== Number(epoch)) return; // for another boot: fenced
          if (!this.leaderTerm.admits(Number(directive.leader_term))) {
            this.log(`ignoring a ${directive.kind} directive from a deposed leader ` +
              `(term ${directive.leader_term}, newest seen ${this.leaderTerm.highest})`);
            return;
          }
          this.onDirective(directive);
        }
      });
      call.on("error", (error) => end(error));
      call.on("end", () => end(new Error("the orchestrator closed the session")));
      this.write({ hello: { module_id: registration.module_id, epoch } });
      this.write({ state: { item_state: this.itemState } });
      const heartbeat = () => {
        if (Date.now() - lastAck > ttlMs) {
          end(new Error(`no heartbeat acknowledged for ${ttlMs} ms`));
          return;
        }
        // At most one heartbeat unacknowledged (docs/module-contract.md, 1.2): an
        // orchestrator that falls behind then reads one queued beat, not a backlog.
        if (acked < sequence) return;
        sequence += 1;
        this.write({ heartbeat: { sequence } });
      };
      const beat = setInterval(heartbeat, intervalMs);
      heartbeat();
    });
  }

  write(message) {
    if (this.call) this.call.write(message);
  }

  /** Leaves the factory: DeregisterModule with the current epoch (best effort). */
  async stop() {
    this.stopped = true;
    if (this.call) this.call.cancel();
    if (!this.registration) return;
    const client = new this.Registry(this.target, grpc.credentials.createInsecure());
    const request = {
      module_id: this.registration.module_id,
      epoch: this.registration.epoch,
      request_id: crypto.randomUUID(),
    };
    await new Promise((resolve) => {
      client.DeregisterModule(request, { deadline: Date.now() + RPC_DEADLINE_MS }, () => resolve());
    });
    client.close();
  }
}

module.exports = { RegistrySession, RegistrationRefused };
