"""Held-out evaluation of answering and routing (`make eval`)."""
