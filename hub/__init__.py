"""Switchboard's core: domain model, storage, configuration and the command line."""
