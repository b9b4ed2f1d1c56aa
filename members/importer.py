"""Import existing members from CSV (organisations, contacts, memberships): plan, report, write all or nothing."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from members.enquiries import (
    PUBLIC_MAIL_DOMAINS,
    is_phone_number,
    normalise_email,
    organisation_key,
)
from members.models import (
    ORGANISATION_SIZES,
    ORGANISATION_TYPES,
    PROFILES,
    Cluster,
    Contact,
    Organisation,
)

COLUMNS = (
    "organisation", "type", "size", "sector", "country", "email_domain", "clusters",
    "contact_name", "contact_email", "contact_phone", "contact_profile", "contact_language",
)
ORGANISATION_FIELDS = ("type", "size", "sector", "country", "email_domain")
CONTACT_FIELDS = ("name", "phone", "profile", "language")
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO"})  # regions Babel lists among territories


class ImportFileError(ValueError):
    """The file cannot be read as a members CSV at all (encoding, header); no row was looked at."""


@dataclass(frozen=True)
class MemberRow:
    """One valid line of the members file: an organisation, its clusters, and optionally one of its contacts."""

    line: int
    organisation: str
    key: str
    type: str | None = None
    size: str | None = None
    sector: str | None = None
    country: str | None = None
    email_domain: str | None = None
    clusters: frozenset[str] = frozenset()
    contact_email: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_profile: str | None = None
    contact_language: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A line that will not be imported, and why."""

    line: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class KnownOrganisation:
    """An organisation as the database holds it before the import."""

    key: str
    name: str
    type: str | None = None
    size: str | None = None
    sector: str | None = None
    country: str | None = None
    email_domain: str | None = None
    clusters: frozenset[str] = frozenset()


@dataclass(frozen=True)
class KnownContact:
    """A contact as the database holds it before the import."""

    email: str
    name: str
    phone: str | None = None
    profile: str | None = None
    language: str | None = None
    organisation_key: str | None = None


@dataclass(frozen=True)
class Change:
    """What the import does to one organisation or contact."""

    line: int
    action: str  # "create", "update" or "unchanged"
    kind: str  # "organisation" or "contact"
    label: str
    details: tuple[str, ...] = ()


@dataclass
class ImportPlan:
    """The outcome of reading a file against the database: changes, rejected lines, and the target state."""

    changes: list[Change] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    organisations: dict[str, KnownOrganisation] = field(default_factory=dict)  # target state, by name key
    contacts: dict[str, KnownContact] = field(default_factory=dict)  # target state, by e-mail
    written: bool = False

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    def lines(self, dry_run: bool) -> list[str]:
        """The report in words: one line per change or rejected line of the file, in file order, then a summary."""
        verbs = {"create": "created" if self.written else "would create",
                 "update": "updated" if self.written else "would update"}
        out = []
        for change in self.changes:
            if change.action in verbs:
                details = f": {'; '.join(change.details)}" if change.details else ""
                out.append((change.line, change.kind != "organisation",
                            f"line {change.line}: {verbs[change.action]} {change.kind} {change.label}{details}"))
        for rejected in self.rejected:
            out.append((rejected.line, 2, f"line {rejected.line}: rejected: {'; '.join(rejected.reasons)}"))
        report = [text for _, _, text in sorted(out)]
        summary = [f"{kind}s: {self.count(kind, 'create')} new, {self.count(kind, 'update')} updated, "
                   f"{self.count(kind, 'unchanged')} unchanged" for kind in ("organisation", "contact")]
        report.append("; ".join(summary) + f"; {len(self.rejected)} lines rejected.")
        if self.rejected and not dry_run:
            report.append("Nothing was written: correct the rejected lines and import the file again.")
        elif dry_run:
            report.append("Dry run: nothing was written.")
        return report


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """ISO 3166 two-letter codes by code and by English name, in lower case ('lu' and 'luxembourg' -> 'LU')."""
    from babel import Locale

    names = Locale("en").territories
    known = {code: name for code, name in names.items() if len(code) == 2 and code.isalpha()
             and code not in NOT_COUNTRIES}
    return {**{code.lower(): code for code in known}, **{name.lower(): code for code, name in known.items()}}


def _choice(value: str, allowed: tuple[str, ...], column: str, reasons: list[str]) -> str | None:
    if not value:
        return None
    word = re.sub(r"[\s-]+", "_", value.strip().lower())
    if word in allowed:
        return word
    reasons.append(f"{column} '{value}' is not one of {', '.join(allowed)}")
    return None


def _text(value: str, column: str, limit: int, reasons: list[str]) -> str | None:
    value = " ".join(value.split())
    if len(value) > limit:
        reasons.append(f"{column} is longer than {limit} characters")
    return value or None


def parse_row(
    line: int, cells: dict[str, str], clusters: dict[str, str], languages: tuple[str, ...]
) -> MemberRow | Rejected:
    """Check one line of the file; `clusters` maps lower-case cluster ids and names to ids."""
    reasons: list[str] = []

    def get(column: str) -> str:
        return (cells.get(column) or "").strip()

    organisation = _text(get("organisation"), "organisation", 200, reasons)
    if not organisation:
        reasons.append("organisation is empty")
    country = None
    if get("country"):
        country = countries().get(get("country").lower())
        if country is None:
            reasons.append(f"country '{get('country')}' is not an ISO 3166 country code or English country name")
    domain = get("email_domain").lower().lstrip("@") or None
    if domain and normalise_email(f"someone@{domain}") is None:
        reasons.append(f"email_domain '{domain}' is not a domain name")
    elif domain in PUBLIC_MAIL_DOMAINS:
        reasons.append(f"email_domain '{domain}' is a free-mail domain, which says nothing about the organisation")
    found = set()
    for name in filter(None, (n.strip() for n in re.split(r"[;,|]", get("clusters")))):
        if name.lower() in clusters:
            found.add(clusters[name.lower()])
        else:
            reasons.append(f"cluster '{name}' is unknown (known: {', '.join(sorted(set(clusters.values())))})")
    email = None
    if get("contact_email"):
        email = normalise_email(get("contact_email"))
        if email is None:
            reasons.append(f"contact_email '{get('contact_email')}' is not an e-mail address")
    name = _text(get("contact_name"), "contact_name", 200, reasons)
    if get("contact_email") and not name:
        reasons.append("contact_name is empty (a contact needs a name)")
    if not get("contact_email") and any(get(c) for c in ("contact_name", "contact_phone", "contact_profile",
                                                          "contact_language")):
        reasons.append("contact_email is empty (a contact is recognised by their e-mail address)")
    phone = get("contact_phone") or None
    if phone and not is_phone_number(phone):
        reasons.append(f"contact_phone '{phone}' is not a phone number")
    language = get("contact_language").lower() or None
    if language and language not in languages:
        reasons.append(f"contact_language '{language}' is not one of {', '.join(languages)}")
    row = MemberRow(
        line=line,
        organisation=organisation or "",
        key=organisation_key(organisation or ""),
        type=_choice(get("type"), ORGANISATION_TYPES, "type", reasons),
        size=_choice(get("size"), ORGANISATION_SIZES, "size", reasons),
        sector=_text(get("sector"), "sector", 200, reasons),
        country=country,
        email_domain=domain,
        clusters=frozenset(found),
        contact_email=email,
        contact_name=name,
        contact_phone=phone,
        contact_profile=_choice(get("contact_profile"), PROFILES, "contact_profile", reasons),
        contact_language=language,
    )
    return Rejected(line, tuple(reasons)) if reasons else row


def read_rows(text: str, clusters: dict[str, str], languages: tuple[str, ...]) -> list[MemberRow | Rejected]:
    """Parse the file's text: a header naming some of COLUMNS, then one line per organisation or contact."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [re.sub(r"\s+", "_", h.strip().lower()) for h in next(reader)]
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ImportFileError(f"unknown columns {', '.join(unknown)}; the columns are: {', '.join(COLUMNS)}")
    if "organisation" not in header:
        raise ImportFileError("the header has no 'organisation' column")
    if len(set(header)) != len(header):
        raise ImportFileError("a column is named twice in the header")
    rows: list[MemberRow | Rejected] = []
    ended = reader.line_num
    for cells in reader:
        line, ended = ended + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            rows.append(Rejected(line, (f"{len(cells)} values but the header has {len(header)} columns",)))
            continue
        rows.append(parse_row(line, dict(zip(header, cells)), clusters, languages))
    return rows


def _merge_organisation(
    target: KnownOrganisation, row: MemberRow, set_on: dict[str, int]
) -> tuple[KnownOrganisation, list[str]]:
    """The organisation with the row's non-empty values; conflicts with earlier lines of the file are reasons."""
    conflicts, values = [], {}
    for name in ORGANISATION_FIELDS:
        value = getattr(row, name)
        if value is None:
            continue
        if name in set_on and getattr(target, name) != value:
            conflicts.append(f"{name} '{value}' differs from line {set_on[name]} ('{getattr(target, name)}')")
        values[name] = value
    if row.clusters:
        values["clusters"] = (target.clusters if "clusters" in set_on else frozenset()) | row.clusters
    return replace(target, **values), conflicts


def _contact_from(row: MemberRow, known: KnownContact | None) -> KnownContact:
    base = known or KnownContact(email=row.contact_email, name=row.contact_name)
    return replace(
        base, name=row.contact_name or base.name, phone=row.contact_phone or base.phone,
        profile=row.contact_profile or base.profile, language=row.contact_language or base.language,
        organisation_key=row.key,
    )


def _differences(before, after, names: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            if isinstance(new, frozenset):
                added, removed = sorted(new - old), sorted(old - new)
                out.append(f"{name} " + " ".join([f"+{c}" for c in added] + [f"-{c}" for c in removed]))
            else:
                out.append(f"{name} {old or '(empty)'} → {new}")
    return tuple(out)


def plan_import(rows: list[MemberRow | Rejected], organisations: dict[str, KnownOrganisation],
                contacts: dict[str, KnownContact]) -> ImportPlan:
    """Work out what importing `rows` into a database holding `organisations` and `contacts` changes; writes nothing.

    Empty cells leave stored values alone; an organisation's cluster memberships become the clusters named on
    its lines (left alone when none of its lines names one). A line that contradicts an earlier line is rejected.
    """
    plan = ImportPlan()
    targets: dict[str, KnownOrganisation] = {}
    set_on: dict[str, dict[str, int]] = {}  # organisation key -> field -> first line that set it
    first_line: dict[str, int] = {}
    people: dict[str, KnownContact] = {}
    person_line: dict[str, int] = {}
    for row in rows:
        if isinstance(row, Rejected):
            plan.rejected.append(row)
            continue
        start = targets.get(row.key) or organisations.get(row.key) or KnownOrganisation(row.key, row.organisation)
        merged, reasons = _merge_organisation(start, row, set_on.get(row.key, {}))
        person = None
        if row.contact_email:
            person = _contact_from(row, people.get(row.contact_email) or contacts.get(row.contact_email))
            earlier = people.get(row.contact_email)
            if earlier is not None and earlier != person:
                reasons.append(f"contact_email {row.contact_email} is also on line {person_line[row.contact_email]} "
                               f"with different details")
        if reasons:
            plan.rejected.append(Rejected(row.line, tuple(reasons)))
            continue
        if row.key not in first_line:
            first_line[row.key] = row.line
            merged = replace(merged, name=row.organisation)
        if person is not None and not merged.email_domain:
            domain = row.contact_email.rsplit("@", 1)[1]
            if domain not in PUBLIC_MAIL_DOMAINS:
                merged = replace(merged, email_domain=domain)
        lines_of = set_on.setdefault(row.key, {})
        for name in ORGANISATION_FIELDS:
            if getattr(row, name) is not None:
                lines_of.setdefault(name, row.line)
        if row.clusters:
            lines_of.setdefault("clusters", row.line)
        targets[row.key] = merged
        if person is not None:
            people[row.contact_email] = person
            person_line.setdefault(row.contact_email, row.line)
    plan.rejected.sort(key=lambda r: r.line)
    for key, target in targets.items():
        known = organisations.get(key)
        label = f'"{target.name}"'
        if known is None:
            details = tuple(f"{n} {getattr(target, n)}" for n in ORGANISATION_FIELDS if getattr(target, n))
            if target.clusters:
                details += (f"clusters {', '.join(sorted(target.clusters))}",)
            plan.changes.append(Change(first_line[key], "create", "organisation", label, details))
        else:
            details = _differences(known, target, ("name", *ORGANISATION_FIELDS, "clusters"))
            plan.changes.append(Change(first_line[key], "update" if details else "unchanged", "organisation", label,
                                       details))
    for email, person in people.items():
        known = contacts.get(email)
        if known is None:
            details = (f"name {person.name}", f"organisation {targets[person.organisation_key].name}")
            plan.changes.append(Change(person_line[email], "create", "contact", email, details))
        else:
            details = _differences(known, person, CONTACT_FIELDS)
            if known.organisation_key != person.organisation_key:
                details += (f'moves to organisation "{targets[person.organisation_key].name}"',)
            plan.changes.append(Change(person_line[email], "update" if details else "unchanged", "contact", email,
                                       details))
    plan.organisations, plan.contacts = targets, people
    return plan


def known_state(session: Session, rows: list[MemberRow | Rejected]) -> tuple[dict[str, KnownOrganisation],
                                                                             dict[str, KnownContact]]:
    """The organisations and contacts the file's lines refer to, as the database holds them now."""
    keys = sorted({r.key for r in rows if isinstance(r, MemberRow)})
    emails = sorted({r.contact_email for r in rows if isinstance(r, MemberRow) and r.contact_email})
    organisations, contacts = {}, {}
    for start in range(0, len(keys), 500):
        for o in session.scalars(select(Organisation).options(selectinload(Organisation.clusters))
                                 .where(Organisation.name_key.in_(keys[start:start + 500]))):
            organisations[o.name_key] = KnownOrganisation(o.name_key, o.name, o.type, o.size, o.sector, o.country,
                                                          o.email_domain, frozenset(c.id for c in o.clusters))
    for start in range(0, len(emails), 500):
        for c in session.scalars(select(Contact).options(selectinload(Contact.organisation))
                                 .where(Contact.email.in_(emails[start:start + 500]))):
            contacts[c.email] = KnownContact(c.email, c.name, c.phone, c.profile, c.language,
                                             c.organisation.name_key if c.organisation else None)
    return organisations, contacts


def cluster_names(session: Session) -> dict[str, str]:
    """Cluster ids by lower-case id and name ('surfmat' and 'SurfMat' both name surfmat)."""
    out = {}
    for cluster in session.scalars(select(Cluster)):
        out[cluster.id.lower()] = cluster.id
        out[cluster.name.lower()] = cluster.id
    return out


def apply_plan(session: Session, plan: ImportPlan) -> None:
    """Write the plan's target state: create or update each organisation, its clusters and its contacts."""
    clusters = {c.id: c for c in session.scalars(select(Cluster))}
    by_key = {}
    for key, target in plan.organisations.items():
        row = session.scalars(select(Organisation).where(Organisation.name_key == key)).first()
        if row is None:
            row = Organisation(name_key=key)
            session.add(row)
        row.name = target.name
        for name in ORGANISATION_FIELDS:
            setattr(row, name, getattr(target, name))
        if {c.id for c in row.clusters} != set(target.clusters):
            row.clusters = [clusters[c] for c in sorted(target.clusters)]
        by_key[key] = row
    for email, target in plan.contacts.items():
        row = session.scalars(select(Contact).where(Contact.email == email)).first()
        if row is None:
            row = Contact(email=email, source="import")
            session.add(row)
        row.name, row.phone, row.profile, row.language = target.name, target.phone, target.profile, target.language
        row.organisation = by_key[target.organisation_key]
    session.flush()


def import_members(factory: sessionmaker[Session], data: bytes, languages: tuple[str, ...],
                   dry_run: bool = False) -> ImportPlan:
    """Read a members CSV and, unless it is a dry run or any line is rejected, write it in one transaction."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"the file is not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8'") from None
    with factory.begin() as session:
        rows = read_rows(text, cluster_names(session), languages)
        plan = plan_import(rows, *known_state(session, rows))
        if not dry_run and not plan.rejected:
            apply_plan(session, plan)
            plan.written = True
    return plan
