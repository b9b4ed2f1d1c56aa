"""gunicorn's settings for the console (`make run` and production): threaded workers, an access log without
query strings (a search can carry a visitor's name), and X-Forwarded-* believed from trusted proxies only."""
from firststop.settings import get_settings

_settings = get_settings()

workers = _settings.console_workers
worker_class = "gthread"
threads = 4
accesslog = "-"
# The path without its query string (%(U)s), never the full request line (%(r)s).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = ",".join(_settings.trusted_proxies)  # empty: nobody's are believed
proxy_allow_ips = forwarded_allow_ips
