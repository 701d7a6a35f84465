"""The gRPC adapter: servicers, conversions to and from pnp.v1, the status mapping."""
