"""Ingest: turn raw inbound input (email, webhooks) into typed events. Adapters are pure; servers are edges."""
