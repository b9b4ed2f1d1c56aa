"""The member database's command line: import members, apply retention, export or erase a person, upgrade the schema."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from firststop.settings import get_settings
from members.db import session_factory

USAGE = """examples:
  python -m members import members.csv --dry-run   report what would be created, updated or rejected
  python -m members import members.csv             write it (all or nothing)
  python -m members retention --dry-run            count what is older than RETENTION_DAYS
  python -m members retention                      delete or anonymise it (safe to run daily)
  python -m members export someone@example.org     everything held about the address, as JSON
  python -m members erase someone@example.org      erase the address everywhere
  python -m members upgrade                        migrate the database and load clusters and advisors
"""


def _import(args) -> int:
    from members.importer import ImportFileError, import_members

    try:
        data = Path(args.file).read_bytes()
        plan = import_members(session_factory(get_settings().database_url), data, get_settings().languages,
                              dry_run=args.dry_run)
    except OSError as error:
        print(f"cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    except ImportFileError as error:
        print(f"{args.file}: {error}; nothing was imported", file=sys.stderr)
        return 2
    print("\n".join(plan.lines(args.dry_run)))
    return 1 if plan.rejected else 0


def _retention(args) -> int:
    from members.retention import apply_retention

    days = args.days if args.days is not None else get_settings().retention_days
    report = apply_retention(session_factory(get_settings().database_url), days, batch_size=args.batch_size,
                             dry_run=args.dry_run)
    print("\n".join(report.lines()))
    return 0


def _export(args) -> int:
    from members.privacy import export_person

    with session_factory(get_settings().database_url)() as session:
        data = export_person(session, args.email)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def _erase(args) -> int:
    from members.privacy import erase_person

    with session_factory(get_settings().database_url).begin() as session:
        counts = erase_person(session, args.email)
    print(json.dumps(counts, indent=2))
    return 0


def _upgrade(args) -> int:
    from members.schema import prepare_database

    prepare_database(get_settings().database_url)
    print("database at the latest schema; clusters and advisors loaded from knowledge/")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    top = argparse.ArgumentParser(prog="python -m members", description=__doc__, epilog=USAGE,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    command = commands.add_parser("import", help="import members from a CSV file (see README, 'Importing members')")
    command.add_argument("file")
    command.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    command.set_defaults(run=_import)
    command = commands.add_parser("retention", help="delete or anonymise data older than the retention period")
    command.add_argument("--days", type=int, help="retention period in days (default: RETENTION_DAYS)")
    command.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")
    command.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
    command.set_defaults(run=_retention)
    command = commands.add_parser("export", help="print everything held about an e-mail address as JSON")
    command.add_argument("email")
    command.add_argument("--output", help="write the JSON to this file instead")
    command.set_defaults(run=_export)
    command = commands.add_parser("erase", help="erase an e-mail address everywhere, keeping anonymous statistics")
    command.add_argument("email")
    command.set_defaults(run=_erase)
    command = commands.add_parser("upgrade", help="migrate the database to the latest schema")
    command.set_defaults(run=_upgrade)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one command; database and input errors become a message and a non-zero exit status."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:  # a wrong address or retention period
        print(str(error), file=sys.stderr)
        return 2
    except DBAPIError as error:
        print(f"the member database is unreachable or refused the change: {error.orig}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
