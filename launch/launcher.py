"""`make run` and `make deploy-local`: check the secret key, prepare the stack (launch.stack: pipeline, database,
model), create the first console admin, start the processes and stop them all on Ctrl-C."""
from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

from console.accounts import ensure_admin
from firststop.settings import SettingsError, get_settings, secret_key
from launch import stack as stacks
from members import schema


def secure_var_dir(var_dir: Path) -> None:
    """Make var/ (database, key, mails, logs, spool) readable by its owner only, now and for what comes."""
    os.umask(0o077)
    var_dir.mkdir(parents=True, exist_ok=True)
    for path in [var_dir, *var_dir.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & 0o700)


def supervise(stack: stacks.Stack, banner: str) -> None:
    """Print the banner, then keep the stack running until Ctrl-C, SIGTERM or one of its processes exits."""
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        print(banner + "Press Ctrl-C to stop everything.", flush=True)
        while stack.alive():
            time.sleep(1)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"stopped because {', '.join(dead)} exited; see {stack.log_dir}/", flush=True)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        stack.stop_all()


def load_env_file(path: Path) -> None:
    """Put an environment file's settings into this process's environment; what is already set wins."""
    for name, value in stacks.env_file(path).items():
        if value and not os.environ.get(name):
            os.environ[name] = value
    get_settings.cache_clear()


def deploy_local(env_file: Path, mail_sink: bool) -> None:  # pragma: no cover - `make deploy-local`; tests/deploy runs the shape
    """The production shape on one machine: nginx, two Rasa and two action servers, the console under gunicorn
    with two workers, the worker, the Redis lock store and the database and SMTP relay of the environment file."""
    load_env_file(env_file)
    settings = get_settings()
    secure_var_dir(settings.var_dir)
    try:
        secret_key(settings)
    except SettingsError as error:
        raise SystemExit(f"FirstStop can't start: {error}") from None
    log_dir = settings.var_dir / "deploy" / "log"
    print(f"• preparing {settings.database_url.split('@')[-1]}, the knowledge and the model", flush=True)
    model, _ = stacks.prepare(settings.database_url, log_dir)
    password = ensure_admin(settings.database_url, settings.var_dir / "admin-password.txt")
    ports = stacks.DeployPorts(smtp=settings.smtp_port if mail_sink else None)
    env = stacks.deploy_env(settings.database_url, settings.var_dir, ports)
    print("• starting nginx, 2 Rasa servers, 2 action servers, the console, the worker "
          f"(logs: {log_dir})", flush=True)
    stack = stacks.deploy(model, settings.var_dir / "deploy", env, ports)
    public = env["CONSOLE_URL"]
    supervise(stack, f"\nFirstStop (production shape) is running behind nginx:\n"
                     f"  demo page and chat   {public}/\n"
                     f"  advisor console      {public}/console  (admin@example.org / {password})\n")


def main() -> None:  # pragma: no cover - `make run`
    """`make run` (no arguments) or `make deploy-local` (--deploy-local ENV_FILE)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploy-local", metavar="ENV_FILE", type=Path,
                        help="run the production shape behind nginx with the settings of ENV_FILE")
    parser.add_argument("--mail-sink", action="store_true",
                        help="with --deploy-local: start the local mail sink on SMTP_PORT instead of using a relay")
    args = parser.parse_args()
    if args.deploy_local:
        deploy_local(args.deploy_local, args.mail_sink)
        return
    settings = get_settings()
    secure_var_dir(settings.var_dir)
    try:
        secret_key(settings)  # made on first start in var/; in production it must come from the environment
    except SettingsError as error:
        raise SystemExit(f"FirstStop can't start: {error}") from None
    log_dir = settings.var_dir / "log"
    print("• building the spaCy pipeline and the answer index from knowledge/", flush=True)
    stacks.build_knowledge()
    print(f"• preparing the database {settings.database_url}", flush=True)
    schema.prepare_database(settings.database_url)
    stacks.seed_content(settings.database_url)  # first start: the console's content editor starts from knowledge/
    print(f"• training the Rasa model if its inputs changed (log: {log_dir / 'train.log'})", flush=True)
    password = ensure_admin(settings.database_url, settings.var_dir / "admin-password.txt")
    model, trained = stacks.train_if_needed(log_dir)
    print(f"  model {model.name}" + (f" trained in {trained:.0f} s" if trained else " (up to date)"), flush=True)
    stack = stacks.Stack(log_dir)
    try:
        for service in stacks.services(model, smtp_port=settings.smtp_port):
            print(f"• starting {service.name} (log: {log_dir / (service.name + '.log')})", flush=True)
            stack.start(service)
    except BaseException:
        stack.stop_all()
        raise
    supervise(stack,
              "\nFirstStop is running:\n"
              f"  demo page with the chat widget  {settings.console_url}/\n"
              f"  advisor console                 {settings.console_url}/console  "
              f"(admin@example.org / {password})\n"
              f"  hand-off e-mails (mail sink)    {settings.console_url}/console/mail  and {settings.mail_dir}\n"
              f"  Rasa server                     {settings.rasa_url}/webhooks/rest/webhook\n")


if __name__ == "__main__":  # pragma: no cover
    main()
