"""Running the plan on the modules: dispatch decisions (pure) and the OPC UA link."""
