"""The member database: organisations, contacts, enquiries, consent and the hand-off outbox. May import
firststop (settings) and knowledge (its content types); nothing above."""
