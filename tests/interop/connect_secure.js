// Tries to open a session on a pnp module the way a stranger would, with
// node-opcua-client (a client we did not write):
//
//   node connect_secure.js ENDPOINT PKI_FOLDER FACTORY_CA_PEM
//
// 1. SignAndEncrypt / Basic256Sha256 with node-opcua's own, self-signed certificate
//    (made in PKI_FOLDER: a certificate the factory CA never issued). The client trusts
//    the factory CA, so it accepts the module: only the module can refuse the session.
// 2. no security at all.
// Prints one line: RESULT {"signAndEncrypt": outcome, "none": outcome}, where an outcome
// is "session" or the error that stopped the client.
"use strict";
const { OPCUAClient, MessageSecurityMode, SecurityPolicy } = require("node-opcua-client");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");
const { readCertificate } = require("node-opcua-crypto");

const [endpoint, pkiFolder, factoryCa] = process.argv.slice(2);

async function attempt(securityMode, securityPolicy) {
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: pkiFolder,
    automaticallyAcceptUnknownCertificate: true,
  });
  await clientCertificateManager.initialize();
  await clientCertificateManager.addIssuer(readCertificate(factoryCa), false, true);
  const client = OPCUAClient.create({
    applicationUri: "urn:stranger:node-opcua",
    securityMode,
    securityPolicy,
    clientCertificateManager,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 10000,
  });
  try {
    await client.connect(endpoint);
    const session = await client.createSession();
    await session.read({ nodeId: "ns=0;i=2259" }); // Server_ServerStatus_State
    await session.close();
    return "session";
  } catch (error) {
    return String(error.message || error).split("\n")[0];
  } finally {
    await client.disconnect().catch(() => {});
  }
}

async function main() {
  const signAndEncrypt = await attempt(
    MessageSecurityMode.SignAndEncrypt, SecurityPolicy.Basic256Sha256,
  );
  const none = await attempt(MessageSecurityMode.None, SecurityPolicy.None);
  console.log("RESULT " + JSON.stringify({ signAndEncrypt, none }));
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
