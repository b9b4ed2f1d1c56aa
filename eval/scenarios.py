"""The scenario evaluation (issue 14): play eval/scenarios.yml's held-out whole conversations against a real
stack (SQLite in a temp dir, a real SMTP sink on loopback, limits off), each in a new conversation, and judge
each by its outcome: the e-mail staff get, the stored enquiry, what the visitor was told. `make eval` runs it."""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from firststop.settings import get_settings
from firststop.visits import reply_text
from handoff import mailsink
from knowledge.content import load_clusters
from launch import stack as stacks
from members import schema
from members.db import session_factory
from members.models import Contact, Enquiry, OutboxMessage
from members.transcripts import events

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios.yml"
# The stack takes every scenario from one address (loopback): its limits are off, as the tests' shared stack's.
LIMITS_OFF = {"RATE_PER_ADDRESS": "0", "RATE_PER_CONVERSATION": "0", "STAFF_MAILS_PER_ADDRESS_HOUR": "0"}
YES = re.compile(r"^(yes|yeah|yep|sure|ok|okay|fine|of course|i agree|agreed|i consent|oui|d'accord|j'accepte|"
                 r"bien sûr|ja|gerne|einverstanden|klar)\b", re.I)
NO = re.compile(r"^(no|nope|non|nein)\b", re.I)
EMAIL = re.compile(r"[^\s<>,;:()]+@[^\s<>,;:()]+\.\w+")
DETAILS = {"name": "name", "organisation": "organisation", "email": "email"}  # form slot → `contact` key
# What the visitor answers to the form's question about the need, which the data's turns never answer.
NEED = {"en": "I'd like to discuss this with an advisor", "fr": "J'aimerais en parler avec un conseiller",
        "de": "Ich möchte das mit einem Berater besprechen"}
SEND, PREFER_NOT_TO_SAY = "/affirm", "/deny"  # the review's Send button; the anonymous need's button
EXTRA_TURNS = 6  # at most this many answers to the bot's own extra steps once the scenario's turns are spent


@dataclass(frozen=True)
class Scenario:
    """One held-out conversation: the visitor's turns and what they expect at the end."""

    name: str
    language: str
    turns: tuple[str, ...]
    expect: dict


@dataclass
class Played:
    """What one scenario's conversation was: its id, what was sent, what the visitor was shown, notes."""

    sender: str
    sent: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load(path: Path = SCENARIOS) -> list[Scenario]:
    """The scenarios of the held-out file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Scenario(s["name"], s.get("language", "en"), tuple(s.get("turns") or ()), s.get("expect") or {})
            for s in data.get("scenarios") or []]


def is_yes_or_no(said: str) -> bool:
    """A yes or no answer ('yes, I agree', 'non, je ne veux pas…')."""
    return bool(YES.match(said.strip()) or NO.match(said.strip()))


def consent_turn(turns: tuple[str, ...]) -> int | None:
    """Where the data puts the consent answer: its last yes/no turn after the first e-mail address (the data
    assumes consent is asked after the details), or None when it has none."""
    first_email = next((n for n, said in enumerate(turns) if EMAIL.search(said)), None)
    if first_email is None:
        return None
    answers = [n for n in range(first_email + 1, len(turns)) if is_yes_or_no(turns[n])]
    return answers[-1] if answers else None


class BotFailed(RuntimeError):
    """The server kept refusing a message (a 5xx after retries, or another error status)."""


class Chat:
    """Posts a visitor's messages to the REST channel (with the page's language, as the widget does) and reads
    what the form is asking from the conversation's tracker events."""

    def __init__(self, rasa_url: str, database_url: str) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.factory = session_factory(database_url)

    def say(self, played: Played, said: str, language: str) -> str:
        """Send one message (again, when the server says it wasn't taken in) and return what the visitor sees."""
        body = json.dumps({"sender": played.sender, "message": said, "metadata": {"language": language}}).encode()
        for attempt in range(5):
            request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    shown = reply_text(json.load(response))
                    break
            except urllib.error.HTTPError as error:
                if error.code != 503 or attempt == 4:
                    raise BotFailed(f"HTTP {error.code} for {said!r}") from None
                time.sleep(1)
        played.sent.append(said)
        played.shown.append(shown)
        return shown

    def asking(self, sender: str) -> str | None:
        """The slot the active form asks for now, or None when no form is asking."""
        with self.factory() as session:
            rows = session.execute(select(events.c.type_name, events.c.data).where(
                events.c.sender_id == sender, events.c.type_name.in_(("slot", "active_loop")))
                .order_by(events.c.id)).all()
        loop, requested = None, None
        for row in rows:
            data = json.loads(row.data)
            if row.type_name == "active_loop":
                loop = data.get("name")
            elif data.get("name") == "requested_slot":
                requested = data.get("value")
        return requested if loop else None

    def slots(self, sender: str) -> dict:
        """The conversation's slots as last set."""
        with self.factory() as session:
            rows = session.scalars(select(events.c.data).where(
                events.c.sender_id == sender, events.c.type_name == "slot").order_by(events.c.id)).all()
        return {d["name"]: d.get("value") for d in map(json.loads, rows)}


def play(chat: Chat, scenario: Scenario) -> Played:
    """Play the scenario's turns in order in a new conversation, fair to the bot's own question order:

    - asked for consent when the next turn is no yes/no, the visitor gives the data's consent answer (see
      consent_turn) now; after a refusal they don't give the details the data had them type before it;
    - asked again for a detail (name, organisation, e-mail) they already typed in an earlier message, with no
      answer to it next, they repeat it (noted);
    - the steps the data doesn't have (the need, the review) are answered when the next turn belongs after the
      form, or when the turns are spent: a neutral need (on the anonymous path, the "Prefer not to say" button),
      then Send. With nothing left to say to what the bot asks, the visitor leaves."""
    played = Played(uuid.uuid4().hex)
    queue = list(range(len(scenario.turns)))
    turns, lang = scenario.turns, scenario.language
    consent_at = consent_turn(turns)
    contact = scenario.expect.get("contact") or {}
    extra = 0
    while True:
        asking = chat.asking(played.sender) if played.sent else None
        nxt = queue[0] if queue else None
        after_form = nxt is None or (consent_at is not None and nxt > consent_at)
        if asking == "consent" and nxt is not None and not is_yes_or_no(turns[nxt]) and consent_at in queue:
            queue.remove(consent_at)
            if NO.match(turns[consent_at].strip()):
                queue = [n for n in queue if n > consent_at]
            said = turns[consent_at]
            extra -= 1  # a scripted turn, only earlier
            played.notes.append("consent answered when asked")
        elif asking in DETAILS and (nxt is None or is_yes_or_no(turns[nxt])) and contact.get(DETAILS[asking]) and \
                any(contact[DETAILS[asking]].lower() in s.lower() for s in played.sent):
            said = contact[DETAILS[asking]]
            played.notes.append(f"asked again for the {asking}")
        elif asking == "need" and after_form:
            consent = chat.slots(played.sender).get("consent")
            said = NEED.get(lang, NEED["en"]) if consent is True else PREFER_NOT_TO_SAY
        elif asking == "review" and (after_form or nxt is None):
            said = SEND
        elif nxt is not None:
            said = turns[queue.pop(0)]
            extra -= 1  # a scripted turn: not one of the extra answers counted below
        else:
            return played
        extra += 1
        if extra > EXTRA_TURNS:
            played.notes.append(f"left while asked for {asking}")
            return played
        try:
            chat.say(played, said, lang)
        except BotFailed as error:
            played.notes.append(f"the server failed: {error}")
            return played


@dataclass
class Outcome:
    """What a conversation left behind: its enquiries, the e-mails staff got, its final slots."""

    enquiries: list[dict]
    mails: list[dict]
    contacts: list[str]  # e-mail addresses of contacts holding an address the visitor typed
    slots: dict


def outcome(chat: Chat, sink, played: Played) -> Outcome:
    """Read the stored enquiries (with contact and advisor), the mails the SMTP sink accepted about the
    conversation, the contacts with the addresses the visitor typed, and the final slots."""
    typed = {m.group(0).rstrip(".").lower() for s in played.sent for m in EMAIL.finditer(s)}
    with chat.factory() as session:
        rows = session.scalars(select(Enquiry).where(Enquiry.conversation_id == played.sender)).all()
        enquiries = [{
            "kind": e.kind, "status": e.status, "cluster": e.cluster_id, "need": e.need,
            "advisor_email": e.advisor.email if e.advisor else None,
            "advisor_clusters": {c.id for c in e.advisor.clusters} if e.advisor else set(),
            "contact": ({"name": e.contact.name, "email": e.contact.email,
                         "organisation": e.contact.organisation.name if e.contact.organisation else None}
                        if e.contact else None),
            "claimed": e.claimed_email, "mail_kinds": [m.kind for m in e.outbox],
        } for e in rows]
        contacts = list(session.scalars(select(Contact.email).where(Contact.email.in_(typed)))) if typed else []
    mails = [{"to": m["To"], "reply_to": m["Reply-To"], "subject": m["Subject"],
              "body": m.get_body(preferencelist=("plain",)).get_content()}
             for _, m in sink.handler.messages
             if f"/conversations/{played.sender}" in m.get_body(preferencelist=("plain",)).get_content()]
    return Outcome(enquiries, mails, contacts, chat.slots(played.sender))


def judge(scenario: Scenario, played: Played, found: Outcome, clusters: set[str], general_inbox: str) -> list[str]:
    """The expectations the outcome fails, each with what was found instead (empty: the scenario passes)."""
    expect, failed = scenario.expect, []
    reachable = [e for e in found.enquiries if e["contact"] or e["claimed"]]
    handed = [e for e in found.enquiries if "handoff" in e["mail_kinds"]]
    project = [e for e in reachable if e["kind"] == "project" or e["cluster"]]
    if bool(project) != bool(expect.get("enquiry")):
        failed.append(f"enquiry: expected {expect.get('enquiry')}, stored "
                      f"{[(e['kind'], e['cluster'], bool(e['contact'])) for e in found.enquiries] or 'none'}")
    if bool(expect.get("mail_to_advisor")):
        if len(found.mails) != 1:
            failed.append(f"mail_to_advisor: expected one e-mail to staff, got {len(found.mails)}")
        else:
            mail, addressees = found.mails[0], {e["advisor_email"] for e in found.enquiries} | {general_inbox}
            if mail["to"] not in addressees:
                failed.append(f"mail_to_advisor: sent to {mail['to']}, not the enquiry's advisor")
            email = (expect.get("contact") or {}).get("email")
            if email and (mail["reply_to"] or "").lower() != email.lower():
                failed.append(f"mail_to_advisor: Reply-To {mail['reply_to']}, expected {email}")
            name = (expect.get("contact") or {}).get("name")
            if name and name not in mail["body"]:
                failed.append("mail_to_advisor: the e-mail doesn't name the visitor")
    elif found.mails:
        failed.append(f"mail_to_advisor: expected none, staff got {len(found.mails)} ({found.mails[0]['subject']})")
    if bool(handed) != bool(expect.get("handed_off")):
        failed.append(f"handed_off: expected {expect.get('handed_off')}, hand-off e-mails "
                      f"{sum(e['mail_kinds'].count('handoff') for e in found.enquiries)}")
    cluster = next((e["cluster"] for e in reversed(found.enquiries) if e["cluster"]), None)
    if cluster is None:
        cluster = next((found.slots.get(s) for s in ("cluster", "route_cluster") if found.slots.get(s) in clusters), None)
    wanted = expect.get("cluster")
    wanted = wanted if wanted in clusters else None  # 'none' (fits no cluster) and null (no project): no cluster
    if cluster != wanted:
        failed.append(f"cluster: expected {wanted}, got {cluster}")
    stored = bool(reachable or found.contacts)
    if stored != bool(expect.get("contact_stored")):
        failed.append(f"contact_stored: expected {expect.get('contact_stored')}, got {stored}")
    want_contact = expect.get("contact")
    if want_contact:
        got = next((e["contact"] for e in reversed(reachable) if e["contact"]), None)
        if got is None:
            failed.append("contact: none stored")
        else:
            for key in ("name", "organisation", "email"):
                if key in want_contact and str(got.get(key) or "").lower() != str(want_contact[key]).lower():
                    failed.append(f"contact {key}: expected {want_contact[key]!r}, stored {got.get(key)!r}")
    shown = "\n".join(played.shown).lower()
    for phrase in expect.get("told") or []:
        if phrase.lower() not in shown:
            failed.append(f"told: never shown {phrase!r}")
    return failed


def wait_for_outbox(chat: Chat, timeout: float = 60) -> None:
    """Wait until the worker has delivered (or given up on) every staff e-mail queued."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with chat.factory() as session:
            if not session.scalars(select(OutboxMessage.id).where(
                    OutboxMessage.status.in_(("pending", "sending")))).first():
                return
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    """Start a stack of its own, play every scenario, print one line each and the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="play only the scenarios whose name contains this text")
    parser.add_argument("--transcripts", action="store_true", help="print each failed scenario's conversation")
    args = parser.parse_args(argv)
    scenarios = [s for s in load() if not args.only or args.only.lower() in s.name.lower()]
    settings = get_settings()
    clusters = {c.id for c in load_clusters(settings.knowledge_dir / "clusters.yml")}
    started = time.monotonic()
    log_dir = settings.var_dir / "log" / "scenarios"  # kept after the run, to see why a scenario failed
    with tempfile.TemporaryDirectory(prefix="firststop-scenarios-") as tmp:
        var_dir = Path(tmp)
        database_url, drop = stacks.make_database("sqlite", var_dir)
        stacks.build_knowledge()  # as the tests' stack: knowledge from knowledge/'s files, not a console's edits
        schema.prepare_database(database_url)
        model, _ = stacks.train_if_needed(log_dir)
        ports = stacks.Ports.free()
        controller, _ = mailsink.start(var_dir / "mail", port=ports.smtp)
        env = stacks.stack_env(database_url, var_dir, ports, {"CONSOLE_URL": "http://console.eval", **LIMITS_OFF})
        for old in log_dir.glob("*.log"):
            old.unlink()
        try:
            running = stacks.start(model, log_dir, env, ports, only=("actions", "rasa", "worker"))
        except stacks.StartFailed as error:
            controller.stop()
            raise SystemExit(f"scenarios: the stack did not start: {error}") from None
        try:
            chat = Chat(f"http://127.0.0.1:{ports.rasa}", database_url)
            played = [play(chat, scenario) for scenario in scenarios]
            wait_for_outbox(chat)
            results = [judge(s, p, outcome(chat, controller, p), clusters, env.get("GENERAL_INBOX") or
                             settings.general_inbox) for s, p in zip(scenarios, played)]
        finally:
            running.stop_all()
            controller.stop()
            drop()
    print("Scenarios (eval/scenarios.yml: held out, whole conversations judged by their outcome)")
    for scenario, conversation, failures in zip(scenarios, played, results):
        notes = f"  [{'; '.join(dict.fromkeys(conversation.notes))}]" if conversation.notes else ""
        print(f"  {'pass' if not failures else 'FAIL'}  {scenario.name}" + (f": {'; '.join(failures)}" if failures
                                                                            else "") + notes)
        if failures and args.transcripts:
            for said, shown in zip(conversation.sent, conversation.shown):
                print(f"        visitor: {said}\n        bot:     {shown[:300]!r}")
    passed = sum(not failures for failures in results)
    print(f"scenarios: {passed} passed / {len(scenarios)}  ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
