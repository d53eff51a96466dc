"""Scheduler, calendar and reminder flow tests."""
