"""NAMUR MTP process modules (VDI/VDE/NAMUR 2658) on a pnp floor.

A PEA (process equipment assembly: a skid with its own controller) describes itself in
an MTP manifest and is driven over OPC UA through each service's state machine. This
package lets one plug into pnp like any module:

- ``caex``: reading the manifest's XML safely, with line numbers;
- ``manifest``: the PEA's services, procedures, parameters and OPC UA nodes (pure);
- ``descriptor``: the pnp module descriptor made from it (capabilities with envelopes),
  and how each capability is bound to the PEA (pure);
- ``codes``: the service interface's state and command words, unit codes;
- ``pea_client``: the OPC UA client of one PEA (asyncua);
- ``service_driver``: one service run through its state machine (select a procedure,
  write parameters, Start, wait for Completed, Reset);
- ``adapter``: the POL role for pnp: a ``pnp.sdk`` module whose skills drive the PEA's
  services, registered on a dock through the normal registry session.

It imports ``pnp.sdk`` and ``pnp.v1``, never the orchestrator; the CLI
(``pnp module import-mtp``, ``pnp module run-mtp``) is its only user there.
"""
