"""Every module's digital twin, as pure functions over what the factory recorded.

- ``metering``: usage by module, vendor or order (hours by state, units, energy);
- ``aas``: the Asset Administration Shell of a module (basyx-python-sdk);
- ``signing``: documents signed by the factory's key (JWS) and checked against the
  issuers a factory trusts, naming the part that changed when one was altered;
- ``passport``: a module's identity and history, signed to travel between factories;
- ``order_terms``: usage terms carried by a signed order data package.

The service reads the store and hands these functions plain records (``records``).
"""
