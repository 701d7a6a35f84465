// A load generator for bench/registry.py in Node.js (@grpc/grpc-js), as an alternative
// to its Python ones: the same modules, registrations, sessions and heartbeats, at a
// fraction of the CPU per heartbeat (gRPC in Python costs about as much per heartbeat
// on the client as on the orchestrator, and on two cores the Python load generators
// left too little for the orchestrator at 5000 sessions).
//
// Driven by bench/registry.py (--load-generator node): one JSON line on stdin (the spec),
// then "window START END" and "stop" lines; it answers with one JSON line when every
// module is registered and established ("ready"), and one with the results ("results").
// Times are CLOCK_MONOTONIC seconds, as the Python side's time.monotonic().
// The grpc-js and proto-loader packages come from tests/interop/node_module
// (`npm ci` there); NODE_PATH points at them.
"use strict";
const crypto = require("crypto");
const path = require("path");
const readline = require("readline");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const BOUND_MS = 50;
const now = () => Number(process.hrtime.bigint()) / 1e9; // CLOCK_MONOTONIC on Linux
const sleep = (s) => new Promise((resolve) => setTimeout(resolve, Math.max(0, s * 1000)));

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

function descriptor(moduleId, dock) {
  return {
    module_id: moduleId,
    vendor: "bench",
    model: "heartbeat-only",
    serial: moduleId,
    footprint: "FOOTPRINT_ISO_10FT",
    dock,
    kind: "bench",
    capabilities: [
      {
        name: "bench.noop",
        parameters: [{ name: "units", range: { min: 0, max: 10, unit: "pcs" } }],
        time_model: { setup_seconds: 0, seconds_per_unit: 1, batch_capacity: 1 },
      },
    ],
  };
}

function* backoff() {
  let delay = 0.2; // the SDK's: 0.2 s doubling to 5 s, full jitter
  for (;;) {
    yield delay / 2 + (Math.random() * delay) / 2;
    delay = Math.min(5, delay * 2);
  }
}

async function main() {
  const input = readline.createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  const spec = JSON.parse((await lines.next()).value);
  const Registry = loadRegistry(spec.proto_root);
  const clients = Array.from(
    { length: spec.channels },
    () =>
      new Registry(spec.target, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  const tally = {
    window: [Infinity, Infinity],
    rtts: [],
    sent: 0,
    late: 0,
    slow: [],
    unmatched: 0,
    lostInEnded: 0,
    heldBack: 0,
    lag: [],
  };
  const inWindow = (at) => tally.window[0] <= at && at < tally.window[1];
  const failures = [];
  const registerLatency = [];
  const reregisterLatency = [];
  let inFlight = 0;
  const waiting = [];
  const gate = async () => {
    while (inFlight >= spec.register_concurrency) await new Promise((r) => waiting.push(r));
    inFlight += 1;
  };
  const ungate = () => {
    inFlight -= 1;
    const next = waiting.shift();
    if (next) next();
  };
  let stopping = false;

  const register = (client, stream, bootId, first) =>
    new Promise((resolve) => {
      const asked = now();
      client.RegisterModule(
        {
          descriptor: descriptor(stream.moduleId, stream.dock),
          boot_id: bootId,
          request_id: crypto.randomUUID(),
        },
        { deadline: Date.now() + 30000 },
        (error, answer) => {
          if (error) {
            failures.push(`${stream.moduleId}: ${grpc.status[error.code]}: ${error.details}`);
            resolve(null);
            return;
          }
          (first ? registerLatency : reregisterLatency).push(now() - asked);
          resolve(answer);
        },
      );
    });

  // One session: resolves with why it ended (the orchestrator ended it).
  const hold = (client, stream, epoch, interval) =>
    new Promise((resolve) => {
      const call = client.Session();
      stream.call = call;
      let ended = false;
      let timer = null;
      let sequence = 0;
      const end = (why) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        resolve(why);
      };
      call.on("data", (message) => {
        if (message.message !== "heartbeat_ack") return;
        const at = now();
        const sentAt = stream.sent.get(Number(message.heartbeat_ack.sequence));
        if (sentAt === undefined) {
          tally.unmatched += 1;
          return;
        }
        stream.sent.delete(Number(message.heartbeat_ack.sequence));
        if (Number.isNaN(stream.establishedAt)) stream.establishedAt = at;
        if (inWindow(sentAt)) {
          const rtt = at - sentAt;
          tally.rtts.push(rtt);
          if (rtt * 1000 > BOUND_MS) tally.slow.push(sentAt);
          if (rtt > interval) tally.late += 1;
        }
      });
      call.on("error", (error) => end(`${grpc.status[error.code]}: ${error.details}`));
      call.on("end", () => end("closed by the orchestrator"));
      call.write({ hello: { module_id: stream.moduleId, epoch } });
      const first = spec.anchor + stream.phase;
      let beat = first + interval * Math.ceil((now() - first) / interval);
      const tick = () => {
        if (ended || stopping) return;
        if (spec.one_beat_in_flight && stream.sent.size > 0) {
          // As the SDK: the last beat is not acknowledged yet, so this one is held back: a server
          // that falls behind gets no more than one unread beat per session.
          if (inWindow(now())) tally.heldBack += 1;
          beat += interval;
          timer = setTimeout(tick, Math.max(0, (beat - now()) * 1000));
          return;
        }
        sequence += 1;
        const sentAt = now();
        stream.sent.set(sequence, sentAt);
        if (inWindow(sentAt)) tally.sent += 1;
        call.write({ heartbeat: { sequence } });
        beat += interval;
        timer = setTimeout(tick, Math.max(0, (beat - now()) * 1000));
      };
      timer = setTimeout(tick, Math.max(0, (beat - now()) * 1000));
    });

  const plugIn = async (stream, client, settled) => {
    const bootId = crypto.randomUUID();
    let delays = backoff();
    for (;;) {
      const first = Number.isNaN(stream.registeredAt);
      await gate();
      if (stopping) {
        ungate();
        return; // the channels are closing: a call now would throw
      }
      const answer = await register(client, stream, bootId, first);
      ungate();
      if (answer !== null) {
        if (first) {
          stream.registeredAt = now();
          settled();
        }
        const interval = Number(answer.heartbeat_interval.seconds) + answer.heartbeat_interval.nanos / 1e9;
        const why = await hold(client, stream, answer.epoch, interval);
        if (stopping) return;
        stream.ended.push(why);
        if (Number.isNaN(stream.endedAt)) stream.endedAt = now();
        for (const at of stream.sent.values()) if (inWindow(at)) tally.lostInEnded += 1;
        stream.sent.clear();
        delays = backoff();
      }
      if (!spec.register_again) {
        settled();
        return;
      }
      await sleep(delays.next().value);
      if (stopping) return;
    }
  };

  // The event loop's own lateness, sampled every 5 ms (its share of the round trips).
  const probe = setInterval(
    (() => {
      let wanted = now() + 0.005;
      return () => {
        const at = now();
        if (inWindow(at)) tally.lag.push(Math.max(0, at - wanted));
        wanted = at + 0.005;
      };
    })(),
    5,
  );

  const started = now();
  let seed = spec.seed;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const streams = spec.modules.map(([moduleId, dock]) => ({
    moduleId,
    dock,
    phase: random(),
    sent: new Map(),
    registeredAt: NaN,
    establishedAt: NaN,
    endedAt: NaN,
    ended: [],
    call: null,
  }));
  const settledAll = Promise.all(
    streams.map(
      (stream, index) =>
        new Promise((resolve) => {
          let done = false;
          plugIn(stream, clients[index % clients.length], () => {
            if (!done) {
              done = true;
              resolve();
            }
          });
        }),
    ),
  );
  const progress = setInterval(() => {
    const count = (key) => streams.filter((s) => !Number.isNaN(s[key])).length;
    process.stderr.write(
      `node load generator: ${count("registeredAt")} registered, ${count("establishedAt")} ` +
        `established, ${failures.length} registration failures, ` +
        `${streams.reduce((n, s) => n + s.ended.length, 0)} sessions ended\n`,
    );
  }, 10000);
  await Promise.race([settledAll, sleep(spec.registration_patience)]);
  clearInterval(progress);
  const registeredS = now() - started;
  const establishedBy = now() + 30;
  while (streams.some((s) => Number.isNaN(s.establishedAt)) && now() < establishedBy) {
    await sleep(0.1);
  }
  const sessions = () => streams.map((s) => [s.registeredAt, s.establishedAt, s.endedAt, s.ended.at(-1) || ""]);
  const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  send({
    ready: {
      established: streams.filter((s) => !Number.isNaN(s.establishedAt)).length,
      registered_s: registeredS,
      established_s: now() - started,
      register_latency: registerLatency,
      register_failures: [...failures],
      sessions: sessions(),
    },
  });
  for (;;) {
    const line = (await lines.next()).value;
    if (line.startsWith("window ")) {
      const [, start, end] = line.split(" ");
      tally.window = [Number(start), Number(end)];
    } else if (line === "stop") break;
  }
  stopping = true;
  clearInterval(probe);
  let lost = tally.lostInEnded;
  for (const s of streams) for (const at of s.sent.values()) if (inWindow(at)) lost += 1;
  const results = {
    rtts: tally.rtts,
    sent: tally.sent,
    lost,
    late: tally.late,
    slow: tally.slow,
    unmatched: tally.unmatched,
    held_back: tally.heldBack,
    lag: tally.lag.sort((a, b) => a - b),
    stream_errors: streams.flatMap((s) => s.ended.map((why) => `${s.moduleId}: ${why}`)),
    sessions: sessions(),
    reregister_latency: reregisterLatency,
    register_failures: failures,
  };
  for (const s of streams) if (s.call) s.call.cancel();
  for (const c of clients) c.close();
  // Exits once the results are written: a pipe's writes are asynchronous here, and an
  // exit before they drain would cut the line short.
  process.stdout.write(`${JSON.stringify({ results })}\n`, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
