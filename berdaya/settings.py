"""Django settings. Everything that differs between machines comes from the environment.

DATABASE_URL selects the database (any URL dj-database-url reads); without it, an SQLite file
`berdaya.sqlite3` in the working directory is used, so `berdaya demo` needs no server.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from berdaya.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DEBUG = env_bool("BERDAYA_DEBUG", False)
# The fallback key is for the embedded demo only; a served installation sets BERDAYA_SECRET_KEY.
SECRET_KEY = env_str("BERDAYA_SECRET_KEY", "dev-insecure-berdaya-demo-key")
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
    "django.contrib.sessions.middleware.SessionMiddleware",
    "berdaya.core.middleware.IndonesianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
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

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

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
