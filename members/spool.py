"""Write enquiries to the database, or keep them in a spool on disk until the database is back."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from members.db import describe_error
from members.enquiries import EnquiryRecord, log_enquiry

log = logging.getLogger(__name__)


def write_enquiry(factory: sessionmaker[Session], record: EnquiryRecord, mail_cap: int = 0) -> int:
    """Log the record in one transaction (staff mails beyond `mail_cap` per client key and hour are held; 0: no
    cap); a concurrent writer of the same rows makes us retry once."""
    for attempt in (1, 2):
        try:
            with factory.begin() as session:
                return log_enquiry(session, record, mail_cap).id
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("concurrent write for %s, retrying", record.conversation_id)
    raise AssertionError("unreachable")


def _is_outage(error: DBAPIError) -> bool:
    """Connection refused, server gone, database locked…: the database is unreachable, not wrong."""
    return isinstance(error, (OperationalError, InterfaceError))


def _log_failure(error: DBAPIError, what: str) -> None:
    """An unreachable database is expected now and then; any other database error (a schema that doesn't match
    the code, say) is a fault for a person to fix: the record is kept either way, but that is logged as an error."""
    if _is_outage(error):
        log.warning("database unavailable, %s: %s", what, describe_error(error))
    else:
        log.error("database error (not an outage), %s: %s", what, describe_error(error))


MAIL_CAP = "mail_cap"  # the spool file's key for the cap in force when the record was saved
_REPORTED: set[str] = set()  # spool files whose fault has been logged as an error by this process


def _spool_path(spool_dir: Path, record: EnquiryRecord) -> Path:
    digest = hashlib.sha256(record.conversation_id.encode()).hexdigest()[:32]
    return spool_dir / f"{digest}.json"


def save(factory: sessionmaker[Session], record: EnquiryRecord, spool_dir: Path, mail_cap: int = 0) -> int | None:
    """Write the record now (returns the enquiry id) or spool it when the database is unreachable (None).

    `mail_cap` (see write_enquiry) is spooled with the record, so a replay holds mails by the same rule.
    """
    try:
        return write_enquiry(factory, record, mail_cap)
    except IntegrityError:
        raise
    except DBAPIError as error:
        _log_failure(error, f"spooling enquiry {record.conversation_id}")
        spool_dir.mkdir(parents=True, exist_ok=True)
        path = _spool_path(spool_dir, record)
        record = _with_spooled_mails(path, record)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**record.to_json(), MAIL_CAP: mail_cap}), encoding="utf-8")
        os.replace(tmp, path)
        return None


def _with_spooled_mails(path: Path, record: EnquiryRecord) -> EnquiryRecord:
    """The record to spool over the conversation's waiting one: a later write (a follow-up) carries no mails, so
    the waiting record's mails and reply promise go with it, or the advisor would never be mailed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop(MAIL_CAP, None)
        earlier = EnquiryRecord.from_json(data)
    except FileNotFoundError:
        return record
    except (ValueError, TypeError, AttributeError):
        return record  # unreadable: replay sets it aside for a person to check
    kinds = {mail.kind for mail in record.mails}
    record.mails = [*record.mails, *(mail for mail in earlier.mails if mail.kind not in kinds)]
    record.reply_due = record.reply_due or earlier.reply_due
    return record


def pending(spool_dir: Path) -> list[Path]:
    """Spooled records waiting for the database."""
    return sorted(spool_dir.glob("*.json")) if spool_dir.exists() else []


def replay(factory: sessionmaker[Session], spool_dir: Path) -> int:
    """Write spooled records to the database; each file is removed only once its record is stored."""
    written = 0
    waiting = pending(spool_dir)
    for position, path in enumerate(waiting):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            mail_cap = int(data.pop(MAIL_CAP, 0) or 0)  # files spooled before the cap existed: none
            record = EnquiryRecord.from_json(data)
        except FileNotFoundError:
            continue  # another replayer took it
        except (ValueError, TypeError, AttributeError) as error:
            log.error("unreadable spool file %s kept for a person to check: %s", path, error)
            path.rename(path.with_suffix(".bad"))
            continue
        try:
            write_enquiry(factory, record, mail_cap)
        except DBAPIError as error:
            if _is_outage(error):
                _log_failure(error, f"{len(waiting) - position} enquiries stay spooled")
                break
            if str(path) not in _REPORTED:  # once, not on every round; the others are still tried
                _REPORTED.add(str(path))
                _log_failure(error, f"{path} stays spooled and is retried every round")
            continue
        path.unlink(missing_ok=True)
        written += 1
    return written
