"""The member database: organisations, contacts, enquiries, consent and the hand-off outbox."""
