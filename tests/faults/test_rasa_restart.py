"""The Rasa server is restarted (stopped cleanly, or killed) mid-form: the conversation resumes from the
tracker store with its slots and the active form, and the enquiry is logged once."""
from __future__ import annotations

import uuid

import pytest

from firststop.visits import NAME, ORGANISATION, firststop_script, split_at


@pytest.mark.parametrize("kind, how", [("sqlite", "stop"), ("postgresql", "kill")])
def test_the_conversation_resumes_after_a_restart(fault_stack, kind, how):
    stack = fault_stack(kind)
    sender = uuid.uuid4().hex
    before, after = split_at(firststop_script(0), "organisation")  # SurfMat project, Jane Doe at Acme Coatings SA
    for turn in before:  # … name given: the contact form asks for the organisation
        assert turn.expect.lower() in stack.say(sender, turn.text).lower()

    if how == "kill":
        stack.kill("rasa")
    else:
        stack.stack.stop("rasa")
    stack.restart("rasa")

    for turn in after:  # organisation, e-mail, need, Send, then a message after it
        reply = stack.say(sender, turn.text)
        assert turn.expect.lower() in reply.lower(), f"{turn.kind} after the restart: {reply!r}"
    (enquiry,) = stack.enquiries(sender)
    assert enquiry.cluster_id == "surfmat"  # routed before the restart
    assert enquiry.contact.name == NAME  # given before the restart
    assert enquiry.contact.organisation.name == ORGANISATION  # given after it
    assert [m.kind for m in enquiry.outbox] == ["enquiry"]  # its advisor mailed, once
