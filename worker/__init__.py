"""The background worker: one process runs FirstStop's periodic jobs, each a small module (delivery, reminders,
spool, retention, search_index) with a `run(context)` and how often it runs. Visitor turns and console requests
never do this work inline. Top layer: may import settings, members, handoff and console's search index."""
