"""FirstStop custom actions: thin adapters from the conversation to knowledge, members and handoff. May import
firststop (settings), bot_texts, knowledge, members and handoff."""
