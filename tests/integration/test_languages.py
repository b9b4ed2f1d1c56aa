"""The visitor's language end to end (issue 15), through the REST channel, the trained model, the action server and a
real SMTP server: a French and a German lead are answered in their language, routed, recorded with their language
and mailed to an advisor with "Language: French/German"; a Luxembourgish greeting is answered in Luxembourgish."""
from __future__ import annotations

import json
import urllib.request

import bot_texts
from tests.integration.test_enquiries import mails_for


def say(stack, sender: str, message: str, widget: str | None = None) -> str:
    """Post a message as the widget does (its language in the metadata) and return the bot's texts joined."""
    body = {"sender": sender, "message": message, **({"metadata": {"language": widget}} if widget else {})}
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return "\n".join(m.get("text", "") for m in json.load(response))


def walk_lead(stack, sender: str, widget: str, turns: list[tuple[str, str]]) -> None:
    """Say each message and check the reply contains the expected words."""
    for message, expected in turns:
        reply = say(stack, sender, message, widget)
        assert expected in reply, (message, reply)


def test_a_french_lead_is_served_in_french_routed_recorded_and_mailed_as_french(stack, sender_id):
    walk_lead(stack, sender_id, "en", [  # an English browser: the French text decides
        ("Nous développons un logiciel de cybersécurité pour les banques", "notre cluster InfoCom"),
        ("oui", "pouvons-nous enregistrer"),
        ("oui", "Comment vous appelez-vous ?"),
        ("Claire Dupont", "organisation"),
        ("Cyber SARL", "adresse e-mail"),
        ("claire.dupont@cyber.example", "En quoi le conseiller"),
        ("Un financement pour notre prototype", "Voici ce que je vais envoyer"),
        ("/affirm", "J'ai transmis votre demande à"),
    ])
    (enquiry,) = stack.enquiries(sender_id)
    assert (enquiry.language, enquiry.cluster_id) == ("fr", "infocom") and "fr" in enquiry.advisor.languages
    (mail,) = mails_for(stack, sender_id)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Language: French" in body and "What they need: Un financement pour notre prototype" in body


def test_a_german_lead_is_served_in_german_routed_recorded_and_mailed_as_german(stack, sender_id):
    walk_lead(stack, sender_id, "de", [
        ("Wir entwickeln Leichtbauteile für Flugzeuge und suchen Fördermittel", "unseren Cluster AeroSpace"),
        ("ja", "Dürfen wir Ihren Namen"),
        ("ja", "Wie heißen Sie?"),
        ("Jonas Becker", "Organisation"),
        ("keine", "E-Mail-Adresse"),
        ("jonas.becker@leicht.example", "Wobei sollen wir Ihnen helfen"),
        ("Förderung für die Qualifizierung", "Das sende ich an"),
        ("/affirm", "Ich habe Ihre Anfrage an"),
    ])
    (enquiry,) = stack.enquiries(sender_id)
    assert (enquiry.language, enquiry.cluster_id) == ("de", "aerospace")
    (mail,) = mails_for(stack, sender_id)
    assert "Language: German" in mail.get_body(preferencelist=("plain",)).get_content()


def test_switching_language_mid_conversation_is_kept(stack, sender_id):
    assert say(stack, sender_id, "bonjour", "fr").startswith("Bonjour !")
    assert "Gern, ich schreibe ab jetzt auf Deutsch." in say(stack, sender_id, "auf Deutsch bitte", "fr")
    assert bot_texts.text("thank", "de") in say(stack, sender_id, "merci", "fr")  # short: stays German


def test_a_luxembourgish_greeting_is_answered_in_luxembourgish_with_the_answer_language_offered(stack, sender_id):
    reply = say(stack, sender_id, "Moien", "lb")
    assert bot_texts.text("greet", "lb") in reply and "Soll ech op Franséisch oder op Däitsch äntweren?" in reply
    assert "Gutt, ech ginn Iech d'Äntwerten op Franséisch." in say(stack, sender_id, "op Franséisch", "lb")
