"""Hand-off to staff: compose the e-mail, keep it in the outbox, deliver it over SMTP. May import firststop
(settings) and members."""
