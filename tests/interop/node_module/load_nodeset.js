// Loads pnp's module information model (a NodeSet2 file) into node-opcua's address space,
// next to the standard nodeset, and prints what it found: a stack we did not write.
//
//   node load_nodeset.js PATH/pnp-module.NodeSet2.xml
//
// Prints one line "RESULT {json}": the namespace index, and for ModuleType and SkillType
// their supertype and their children (browse name, node class, data type, modelling
// rule), with each method's input and output arguments.
"use strict";
const {
  AddressSpace, generateAddressSpace, nodesets, NodeClass, DataType,
} = require("node-opcua");

async function describe(addressSpace, type) {
  const children = [];
  const properties = new Set(type.getProperties());
  for (const child of [...type.getComponents(), ...properties]) {
    const entry = {
      name: child.browseName.name,
      reference: properties.has(child) ? "HasProperty" : "HasComponent",
      nodeClass: NodeClass[child.nodeClass],
      modellingRule: child.modellingRule,
    };
    if (child.nodeClass === NodeClass.Variable) {
      entry.dataType = DataType[child.dataType.value] || child.dataType.toString();
    }
    if (child.nodeClass === NodeClass.Method) {
      const args = (property) => (property ? property.readValue().value.value : []).map(
        (a) => ({ name: a.name, dataType: DataType[a.dataType.value] }),
      );
      entry.inputs = args(child.getPropertyByName("InputArguments"));
      entry.outputs = args(child.getPropertyByName("OutputArguments"));
    }
    if (child.nodeClass === NodeClass.Object) {
      entry.typeDefinition = child.typeDefinitionObj.browseName.toString();
      entry.organizes = child.getFolderElements().map((node) => ({
        name: node.browseName.name,
        modellingRule: node.modellingRule,
        typeDefinition: node.typeDefinitionObj && node.typeDefinitionObj.browseName.name,
      }));
      entry.components = child.getComponents().map((node) => ({
        name: node.browseName.name,
        modellingRule: node.modellingRule,
        dataType: node.dataType && (DataType[node.dataType.value] || node.dataType.toString()),
      }));
    }
    children.push(entry);
  }
  return {
    nodeId: type.nodeId.toString(),
    supertype: type.subtypeOfObj ? type.subtypeOfObj.browseName.toString() : null,
    isAbstract: type.isAbstract,
    children,
  };
}

async function main() {
  const [file] = process.argv.slice(2);
  const addressSpace = AddressSpace.create();
  await generateAddressSpace(addressSpace, [nodesets.standard, file]);
  const ns = addressSpace.getNamespaceIndex("urn:pnp:module");
  const result = { namespaceIndex: ns, types: {} };
  for (const name of ["ModuleType", "SkillType"]) {
    const type = addressSpace.findObjectType(name, ns);
    result.types[name] = type ? await describe(addressSpace, type) : null;
  }
  addressSpace.dispose();
  console.log("RESULT " + JSON.stringify(result));
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
