"""The scheduler: decides when and to whom, and writes outbox rows (never imports ``bot``).

Jobs are code with cron triggers in the area's time zone; dynamic schedules are rows the jobs
read. Only one scheduler is active across processes: it holds a database lock (``leader``).
"""
