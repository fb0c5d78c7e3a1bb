"""The SLA engine: business calendars, policies and each ticket's clocks.

- calendar.py: pure business-time arithmetic (`Calendar.add`, `Calendar.seconds_between`).
- rules.py: pure policy matching and the clock state machine (which event moves which clock).
- services.py: the hooks the support services call, replaying history, `sla_json` for the API.
- sweep.py: the periodic breach sweep (warnings, breaches, escalations, each exactly once).
- config.py: validation and use cases behind the admin pages for calendars and policies.
"""
