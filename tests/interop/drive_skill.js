// Drives one skill of a pnp module with node-opcua-client, a client we did not write.
//
//   node drive_skill.js ENDPOINT CAPABILITY EXECUTION_ID PARAMETERS_JSON
//
// Browses to Objects/Module/Skills/<capability>, subscribes to CurrentState, calls
// Start, waits for Complete, calls Start again with the same execution id, watches for
// a while, and prints one JSON object with what it saw.
"use strict";
const {
  OPCUAClient, AttributeIds, TimestampsToReturn, DataType, MessageSecurityMode,
  SecurityPolicy, makeBrowsePath,
} = require("node-opcua-client");

const [endpoint, capability, executionId, parametersJson] = process.argv.slice(2);
const escape = (name) => name.replace(/[.\/&:!#<>]/g, (c) => "&" + c);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function resolve(session, root, path) {
  const result = await session.translateBrowsePath(makeBrowsePath(root, path));
  if (!result.targets || result.targets.length === 0) {
    throw new Error(`no node at ${path}: ${result.statusCode.toString()}`);
  }
  return result.targets[0].targetId;
}

async function main() {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 2, initialDelay: 100, maxDelay: 500 },
  });
  await client.connect(endpoint);
  const session = await client.createSession();
  const ns = (await session.readNamespaceArray()).indexOf("urn:pnp:module");
  const skill = await resolve(
    session, "RootFolder", `/Objects/${ns}:Module/${ns}:Skills/${ns}:${escape(capability)}`,
  );
  const stateNode = await resolve(session, skill, `/${ns}:CurrentState`);
  const startMethod = await resolve(session, skill, `/${ns}:Start`);

  const seen = [];
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: 20, requestedMaxKeepAliveCount: 50,
    requestedLifetimeCount: 500, publishingEnabled: true,
  });
  const item = await subscription.monitor(
    { nodeId: stateNode, attributeId: AttributeIds.Value },
    { samplingInterval: 0, discardOldest: false, queueSize: 100 },
    TimestampsToReturn.Both,
  );
  item.on("changed", (dataValue) => seen.push(dataValue.value.value));
  await sleep(200); // the initial value arrives first

  const start = async () => {
    const result = await session.call({
      objectId: skill, methodId: startMethod,
      inputArguments: [
        { dataType: DataType.String, value: executionId },
        { dataType: DataType.String, value: parametersJson },
      ],
    });
    return { status: result.statusCode.name, accepted: result.outputArguments[0]?.value };
  };

  const first = await start();
  const deadline = Date.now() + 20000;
  while (!seen.includes("Complete") && Date.now() < deadline) await sleep(20);
  const seenFirst = seen.splice(0, seen.length);
  const second = await start();
  await sleep(500);
  const seenSecond = seen.splice(0, seen.length);

  await subscription.terminate();
  await session.close();
  await client.disconnect();
  // node-opcua may log to stdout too: the result is the line that starts with RESULT.
  console.log("RESULT " + JSON.stringify({ first, second, seenFirst, seenSecond }));
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
