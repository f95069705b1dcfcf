"""Django settings. Everything that differs between machines comes from the environment.

DATABASE_URL selects the database (any URL dj-database-url reads); without it, an SQLite file
`berdaya.sqlite3` in the working directory is used, so `berdaya demo` needs no server (production mode,
BERDAYA_PRODUCTION=1, refuses that and the other demo fallbacks).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from berdaya.env import EnvError, env_bool, env_int, env_list, env_required, env_str

BASE_DIR = Path(__file__).resolve().parent
# BERDAYA_PRODUCTION=1 marks a served installation: the demo's fallbacks below (a known key, localhost,
# an SQLite file wherever the command runs) are refused instead of used, and HTTPS is on by default.
PRODUCTION = env_bool("BERDAYA_PRODUCTION", False)
DEBUG = env_bool("BERDAYA_DEBUG", False)
DEMO_SECRET_KEY = "dev-insecure-berdaya-demo-key"
if PRODUCTION:
    _why = "BERDAYA_PRODUCTION is on"
    SECRET_KEY = env_required(
        "BERDAYA_SECRET_KEY", f"{_why}; make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
    if SECRET_KEY == DEMO_SECRET_KEY:
        raise EnvError("BERDAYA_SECRET_KEY is the public demo key; a served installation needs its own secret")
    ALLOWED_HOSTS = env_list("BERDAYA_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise EnvError(f"BERDAYA_ALLOWED_HOSTS is required ({_why}): the host names this installation answers to")
    env_required("DATABASE_URL", f"{_why}; e.g. postgres://berdaya@db.example/berdaya")
    if DEBUG:
        raise EnvError(f"BERDAYA_DEBUG must be off ({_why}): debug pages show settings and personal data")
else:
    # The fallback key is for the embedded demo and development only.
    SECRET_KEY = env_str("BERDAYA_SECRET_KEY", DEMO_SECRET_KEY)
    ALLOWED_HOSTS = env_list("BERDAYA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("BERDAYA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "berdaya.core",
    "berdaya.registry",
    "berdaya.kube",
    "berdaya.mentoring",
    "berdaya.ledger",
    "berdaya.evaluation",
    "berdaya.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "berdaya.core.middleware.IndonesianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "berdaya.core.middleware.AuditContextMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Proxies (addresses or networks) whose X-Forwarded-For names the client in audit rows; none by default.
BERDAYA_TRUSTED_PROXIES = env_list("BERDAYA_TRUSTED_PROXIES", [])

ROOT_URLCONF = "berdaya.urls"
WSGI_APPLICATION = "berdaya.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{Path.cwd() / 'berdaya.sqlite3'}"),
        conn_max_age=env_int("BERDAYA_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes; a busy timeout instead of "locked".
    # IMMEDIATE: a transaction takes the write lock when it begins, so two posts to the books queue
    # behind each other (SQLite's stand-in for select_for_update) instead of one failing "locked" when
    # it tries to upgrade its read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

AUTH_USER_MODEL = "core.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2 (memory-hard) for new passwords; PBKDF2 stays listed so older hashes still verify, and Django
# rehashes them with Argon2 at the user's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Sign-in throttling (django-axes): after LIMIT failures for one user name from one address, that pair is
# refused, even with the right password, until COOLOFF minutes have passed since the last failure or an
# admin unlocks it (`berdaya manage axes_reset_username NAME`, or the admin's "Access attempts").
# Per name *and* address, so a mistyping colleague on the office network does not lock everyone out.
AUTHENTICATION_BACKENDS = [
    "berdaya.core.auth_backends.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("BERDAYA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("BERDAYA_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "berdaya.core.views.sign_in_locked_out"
# The client's address as the audit log sees it: behind a proxy listed in BERDAYA_TRUSTED_PROXIES, the
# forwarded client, so one office's proxy does not turn every user's failures into one counter.
AXES_CLIENT_IP_CALLABLE = "berdaya.core.audit_context.client_address"
# Successful sign-ins are not logged here (the audit log is the record of what people did); failures are.
AXES_DISABLE_ACCESS_LOG = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("BERDAYA_TIME_ZONE", "Asia/Pontianak")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only a served installation collects static files (BERDAYA_STATIC_ROOT + collectstatic); the demo
# and the development server serve them from the apps through WhiteNoise's finders.
STATIC_ROOT = Path(env_str("BERDAYA_STATIC_ROOT")) if env_str("BERDAYA_STATIC_ROOT", "") else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("BERDAYA_MEDIA_ROOT", str(Path.cwd() / "berdaya-data" / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Cookies and security headers. HTTPS (on by default in production; BERDAYA_HTTPS=0 only for a closed
# network without certificates) makes cookies secure, redirects plain HTTP and sends HSTS.
HTTPS = env_bool("BERDAYA_HTTPS", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# offline-forms.js reads the CSRF cookie to send a saved form later, so it stays readable to scripts.
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"
# Phones in the field are often shared with family: a sign-in lasts one working day, not Django's two weeks.
# (A form saved offline after that waits in the outbox until its owner signs in again.)
SESSION_COOKIE_AGE = env_int("BERDAYA_SESSION_HOURS", 12) * 3600
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("BERDAYA_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BERDAYA_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is decided for a whole registrable domain (e.g. a provincial .go.id), which an installation
# on a subdomain cannot decide for; off by default, so the deploy check's reminder about it is silenced.
SECURE_HSTS_PRELOAD = env_bool("BERDAYA_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a reverse proxy that ends TLS: trust its X-Forwarded-Proto. Only when the proxy sets (and so
# overwrites) that header, otherwise a client could claim HTTPS.
if env_bool("BERDAYA_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only what the pages use: the visit form reads the phone's location; nothing else is granted.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "accelerometer": [],
    "gyroscope": [],
    "magnetometer": [],
    "browsing-topics": [],
}
# Content-Security-Policy (django-csp): every script is a file from this site (no inline code, no eval),
# nothing is fetched from a third party. Styles come from files too, and no style attribute is obeyed:
# the server-drawn SVG charts size themselves by CSS classes and SVG attributes (a page script may still
# set element.style, which CSP does not govern). `style-src` keeps 'unsafe-inline' only for browsers older
# than style-src-elem/-attr (Chrome 75, Firefox 108, Safari 15.4); newer ones obey the two stricter lines.
# img-src: data: for icons inside CSS, blob: for the visit form's photo downscaling.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "style-src-elem": [SELF],
        "style-src-attr": [NONE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Programme settings (spec: every default is a setting).
BERDAYA = {
    "DEFAULT_RULESET": env_str("BERDAYA_DEFAULT_RULESET", "permensos-2-2019"),
    # Region of this installation (a Dinas Sosial kab/kota), used as the default screening region.
    "HOME_REGION": env_str("BERDAYA_HOME_REGION", ""),
    # Mentoring rules and alerts (spec §6). Every default is a setting; the cap is *unconfirmed*.
    "FACILITATOR_CAP": env_int("BERDAYA_FACILITATOR_CAP", 10),
    "CAPITAL_LOAN_MEETINGS": env_int("BERDAYA_CAPITAL_LOAN_MEETINGS", 4),
    "NO_VISIT_DAYS": env_int("BERDAYA_NO_VISIT_DAYS", 30),
    "ATTENDANCE_MIN_PERCENT": env_int("BERDAYA_ATTENDANCE_MIN_PERCENT", 60),
    "ATTENDANCE_MONTHS": env_int("BERDAYA_ATTENDANCE_MONTHS", 3),
    # Bookkeeping (spec §7). The IKS share of surplus is *unconfirmed* (secondary sources say 10 %).
    "IKS_PERCENT": env_int("BERDAYA_IKS_PERCENT", 10),
    # Member loans: the default term, and the monthly jasa the form suggests (the group decides; *unconfirmed*).
    "LOAN_TERM_MONTHS": env_int("BERDAYA_LOAN_TERM_MONTHS", 10),
    "LOAN_FEE_PERCENT": env_int("BERDAYA_LOAN_FEE_PERCENT", 1),
    # Metrics compare a window of this many months with the one before it.
    "METRICS_MONTHS": env_int("BERDAYA_METRICS_MONTHS", 6),
    # Evaluation: how far back a baseline round looks (a follow-up round looks back to its baseline).
    "EVALUATION_PERIOD_MONTHS": env_int("BERDAYA_EVALUATION_PERIOD_MONTHS", 6),
    # A TOML file overriding the success, welfare, empowerment and maturity thresholds (evaluation/options.py).
    "EVALUATION_THRESHOLDS": env_str("BERDAYA_EVALUATION_THRESHOLDS", ""),
    # Imports, screening and formation from the pages go to the queue (a job page with a progress bar);
    # false runs them inside the request, as before. Uploads wait for the worker under MEDIA_ROOT/jobs/.
    "BACKGROUND_JOBS": env_bool("BERDAYA_BACKGROUND_JOBS", True),
    # Dashboards and decision counts are kept this long at most, and only until the next write
    # (core/figures_cache.py); 0 computes them on every request.
    "FIGURES_CACHE_SECONDS": env_int("BERDAYA_FIGURES_CACHE_SECONDS", 3600),
}

# The cache the web server's worker processes share (files, no server to run); BERDAYA_CACHE_DIR moves it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("BERDAYA_CACHE_DIR", str(Path.cwd() / "berdaya-data" / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}

# Background jobs (docs/architecture.md, "Background jobs"): a queue in the database by default, worked by
# `berdaya worker`. Another django-tasks backend (django_tasks_rq.RQBackend, ...) is a setting away.
TASKS = {
    "default": {
        "BACKEND": env_str("BERDAYA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("BERDAYA_LOG_LEVEL", "WARNING")},
}
