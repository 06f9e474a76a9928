"""Outbound: the outbox moved onto an RQ queue by the dispatcher, and delivered by workers through channels.

The hub writes what it owes into the outbox table in the same transaction as the change that caused it; nothing
here runs inside that transaction. Imports run one way: this package uses `hub`, never `web`, `ingest` or `rules`.
"""
