"""FirstStop custom actions: thin adapters from the conversation to knowledge, members and handoff."""
