"""Outbox and delivery tests."""
