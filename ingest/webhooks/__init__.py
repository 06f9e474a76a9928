"""Webhook adapters: one pure `normalise(payload) -> InboundEvent` per source."""
