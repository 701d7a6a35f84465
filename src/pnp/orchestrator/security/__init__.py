"""Security of the factory: who is who (identities in certificates), the factory PKI
that issues them, and the limits that keep hostile input cheap to refuse.

Pure code: no gRPC, no asyncua. The adapters (``orchestrator.api``, the executor's OPC UA
link) turn these into channel credentials and checks at the edge.
"""
