"""StrideSite settings, read from the environment.

With no variables set the product runs embedded: SQLite file, in-memory channel
layer, one process. `DATABASE_URL` (PostgreSQL) and `REDIS_URL` switch to the
scale-out configuration with the same code.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

# Safe by default: DEBUG is off unless asked for (`manage.py demo` and `demo_data` ask, manage.py),
# and then a key is generated for this checkout, never one written in the code.
DEBUG = env.bool("DEBUG", default=False)


def _development_secret() -> str:
    """A random key made once for this checkout (var/, owner-only), for DEBUG without SECRET_KEY."""
    path = VAR_DIR / "development-secret-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or (_development_secret() if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (DEBUG=1 for development).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "huey.contrib.djhuey",
    "athletes",
    "sessions.apps.RunSessionsConfig",
    "ingest",
    "metrics",
    "audit.apps.AuditConfig",
    "api",
    "django_prometheus",
]
NINJA_PAGINATION_MAX_LIMIT = 1000  # the JSON API's largest page (a long session holds ~20,000 strides)

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "stridesite.operations.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# /metrics (stridesite/operations.py) answers this bearer token; unset, it answers loopback only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Content-Security-Policy (django-csp): scripts only from this server's own files — no inline
# script, no eval, no CDN; websockets to this origin only. Plotly draws with inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Password guessing (django-axes): 5 wrong passwords for one account from one address lock that
# pair for 15 minutes (429), a success resets the count; the right password during a lock-out
# does not get in.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on stderr: `analyze` errors stay one line
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Password-reset mails: at most this many to one address an hour (sessions: accounts/throttle.py).
PASSWORD_RESETS_PER_HOUR = env.int("PASSWORD_RESETS_PER_HOUR", default=3)

ROOT_URLCONF = "stridesite.urls"
ASGI_APPLICATION = "stridesite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "athletes.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'stridesite.sqlite3'}"),
}
# Keep connections between requests and ingest batches (a new one per batch cost the ingest
# path a tenth of its CPU); a broken one is replaced on its next use.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets pages read while the ingest writes; FULL sync: an acknowledged frame survives
    # a power cut (the agent forgets it once acknowledged).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Names this installation's channels, groups and task queue on a shared Redis: a Redis database
# number does not separate Pub/Sub, so two installations on one Redis would hear each other.
INSTALLATION_NAME = env.str("INSTALLATION_NAME", default="stridesite")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": INSTALLATION_NAME},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Background work (uploaded recordings, sessions/tasks.py): huey, its queue in a SQLite file
# under var/ embedded, on Redis for scale-out; the same tasks either way. A worker runs them:
# `manage.py run_huey` (the demo starts one). TASKS_IMMEDIATE=1 runs each task inside the
# request that queued it (the unit tests).
HUEY = {
    "name": INSTALLATION_NAME,
    "immediate": env.bool("TASKS_IMMEDIATE", default=False),
    "results": False,
    # An idle worker looks for work every 0.1 s, backing off to 5 times a second (huey's default
    # backs off to 10 s: an upload would wait that long to start; each look is one SELECT on a
    # local file). Redis wakes it at once.
    "consumer": {"workers": env.int("TASK_WORKERS", default=1), "worker_type": "thread",
                 "initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.2},
    **({"huey_class": "huey.RedisHuey", "url": REDIS_URL} if REDIS_URL else
       {"huey_class": "huey.SqliteHuey",
        "filename": env.str("TASK_QUEUE_FILE", default=str(VAR_DIR / "tasks.sqlite3"))}),
}
UPLOAD_DIR = VAR_DIR / "uploads"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "stridesite" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "stridesite.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "stridesite.staticfiles.HashedStaticFiles"},
}
# Files not collected (development, tests) are served straight from the finders; a production
# process collects them at start (stridesite/staticfiles.py): no build step to remember.
WHITENOISE_USE_FINDERS = True
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # collected once, compressed once (Plotly.js: 9 s)

# Mail (invitations, password resets): smtp+tls://user:password@host:587; by default printed to
# the process's output (the journal of stridesite-web@…), where an operator can still read links.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # an unreachable server must not hold a page
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="StrideSite <noreply@localhost>")
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)

# Behind a TLS-terminating reverse proxy, secure cookies and HSTS are on unless DEBUG.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Cookies only over https in production; SECURE_COOKIES=0 for a trial on plain http (with
# SECURE_SSL_REDIRECT=0), which `check --deploy` then reports.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

# One handler, on the root: Django's own loggers do not print a second copy; client errors
# (403, 404) are one line without a traceback; a flood of one kind of line is summarised.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors": {"()": "stridesite.log_filters.ClientErrorsWithoutTraceback"},
        "rate_limit": {"()": "stridesite.log_filters.RateLimit", "per_minute": 10},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors", "rate_limit"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True},
                # The worker adds a handler of its own to a "huey" logger that has none: one line each.
                "huey": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
