"""Settings, read from the environment with safe development defaults.

Every value comes through one of the small typed helpers of playground.env, which
fail loudly, naming the variable, on a value they cannot read rather than guessing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sysconfig
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from playground.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# templates/ and static/: beside the packages in a checkout, under the prefix's
# share/ once installed from a wheel (see [tool.setuptools.data-files]).
ASSETS_DIR = (
    BASE_DIR
    if (BASE_DIR / "templates").is_dir()
    else Path(sysconfig.get_path("data")) / "share" / "reasoning-playground"
)

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    # Daphne first, so that runserver serves ASGI (and websockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",
    "django.contrib.staticfiles",
    "channels",
    "template_partials",
    # Counts failed sign-ins and locks a username from an address out (AXES_* below).
    "axes",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files under ASGI (WhiteNoise has no ASGI support).
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chat.middleware.content_security_policy",
    "chat.middleware.private_pages_not_stored",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ASSETS_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chat.context_processors.upstream",
            ],
        },
    }
]

# Databases: SQLite file by default, anything dj-database-url reads otherwise.
# Connections are kept (CONN_MAX_AGE seconds) and checked before reuse, so a save while
# streaming is one round trip, not a new connection each time.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Parallel generations write from several threads at once: WAL lets readers
    # go on during a write, the timeout waits for the lock instead of failing,
    # and IMMEDIATE transactions take the write lock up front so two writers
    # never deadlock upgrading a read lock ("database is locked").
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests share the database with a live server in another process: a file, not memory.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # No read timeout (redis-py below 8, pinned in pyproject.toml): one raced
                # channels_redis's 5 s blocking pop, failing idle reads and able to lose
                # the message popped as both ended; and its wait_for could swallow a cancel.
                "hosts": [REDIS_URL],
                "prefix": env_str("CHANNELS_PREFIX", "asgi"),
                # One relay channel per process carries every stream it shows from other
                # processes (chat/conversations/hub.py): room for bursts of many.
                "capacity": 5000,
                # A message waits this long to be read: a process so loaded that its
                # relay is over a minute behind still gets a stream's end (default 60).
                "expiry": 300,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds the per-person limits' counters (chat/limits/store.py) and the model
# lists. With Redis every server process shares them; without, each process has its own
# (in memory), which is right for the single process of `make run`.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CHANNELS_PREFIX", "asgi"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat-home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [ASSETS_DIR / "static"]
# Where collectstatic writes, and where nginx serves /static/ from (deploy/nginx.conf).
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Development serves files straight from static/; production from collectstatic's output.
# Uploaded images (chat.models.Attachment). Never served from here by nginx or Django's
# static serving: a view checks who asks (chat.conversations.attachments).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
SERVESTATIC_USE_FINDERS = DEBUG
SERVESTATIC_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "servestatic.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: safe by default, strict when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# The playground.
# Upstream: an OpenAI-compatible base URL (ending in /v1); empty means the
# built-in simulator served by this same server under /sim/v1.
PLAYGROUND_API_BASE = env_str("PLAYGROUND_API_BASE").rstrip("/")
PLAYGROUND_API_KEY = env_str("PLAYGROUND_API_KEY")
PLAYGROUND_SIGNUP_ENABLED = env_bool("PLAYGROUND_SIGNUP_ENABLED", True)
# The currency of the price table (ModelPrice, edited in the admin): an ISO code; USD is
# written "$0.0042", any other "0.0042 EUR".
PLAYGROUND_CURRENCY = env_str("PLAYGROUND_CURRENCY", "USD").strip().upper()
if not (len(PLAYGROUND_CURRENCY) == 3 and PLAYGROUND_CURRENCY.isascii()):
    raise ImproperlyConfigured(
        f"PLAYGROUND_CURRENCY must be a three-letter currency code (USD, EUR), "
        f"not {PLAYGROUND_CURRENCY!r}"
    )
# Per-person limits (chat/limits/); 0 turns one off. Starts count every new answer
# (send, regenerate, run again, continue, a prompt's or a comparison's run); tokens are
# those spent on the server's own upstream (a person's own providers are not counted).
PLAYGROUND_STARTS_PER_MINUTE = env_int("PLAYGROUND_STARTS_PER_MINUTE", 20)
PLAYGROUND_CONCURRENT_GENERATIONS = env_int("PLAYGROUND_CONCURRENT_GENERATIONS", 3)
PLAYGROUND_TOKENS_PER_DAY = env_int("PLAYGROUND_TOKENS_PER_DAY", 500_000)
PLAYGROUND_SOCKET_MESSAGES_PER_SECOND = env_int("PLAYGROUND_SOCKET_MESSAGES_PER_SECOND", 10)
PLAYGROUND_SIGNUPS_PER_HOUR = env_int("PLAYGROUND_SIGNUPS_PER_HOUR", 5)
# Images attached to a prompt: the largest file, and how many one prompt may carry.
PLAYGROUND_IMAGE_MAX_BYTES = env_int("PLAYGROUND_IMAGE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
PLAYGROUND_IMAGES_PER_MESSAGE = env_int("PLAYGROUND_IMAGES_PER_MESSAGE", 8)
# An upload never sent is removed after this many hours (manage.py clean_attachments).
PLAYGROUND_PENDING_IMAGE_HOURS = env_int("PLAYGROUND_PENDING_IMAGE_HOURS", 24, minimum=1)
# Sign-in throttling (django-axes): after this many wrong passwords for one username
# from one address, that pair is refused for the cool-off, right password or not.
AXES_FAILURE_LIMIT = env_int("PLAYGROUND_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PLAYGROUND_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no banner on every start
PLAYGROUND_CONNECT_TIMEOUT = env_float("PLAYGROUND_CONNECT_TIMEOUT", 10.0)
PLAYGROUND_FIRST_BYTE_TIMEOUT = env_float("PLAYGROUND_FIRST_BYTE_TIMEOUT", 120.0)
PLAYGROUND_CHUNK_TIMEOUT = env_float("PLAYGROUND_CHUNK_TIMEOUT", 60.0)
# Retries of a request that failed before any answer arrived (429, 5xx, no connection):
# how many attempts in all, and the longest wait between two (Retry-After is capped to it).
# Requests open upstream at once per server process; past them a generation waits, shown
# as queued. Each is one socket and a few KB; the upstream's own limits usually come first.
PLAYGROUND_UPSTREAM_CONNECTIONS = env_int("PLAYGROUND_UPSTREAM_CONNECTIONS", 1000, minimum=1)
PLAYGROUND_UPSTREAM_ATTEMPTS = env_int("PLAYGROUND_UPSTREAM_ATTEMPTS", 3, minimum=1)
PLAYGROUND_RETRY_MAX_SECONDS = env_float("PLAYGROUND_RETRY_MAX_SECONDS", 30.0)
# A running generation writes its messages at least every HEARTBEAT seconds; every
# process looks that often for streaming messages whose owner is gone (a process of this
# host that no longer runs, or no write for STALE_AFTER seconds) and ends them interrupted.
PLAYGROUND_HEARTBEAT_SECONDS = env_float("PLAYGROUND_HEARTBEAT_SECONDS", 10.0, minimum=0.1)
PLAYGROUND_STALE_AFTER_SECONDS = env_float("PLAYGROUND_STALE_AFTER_SECONDS", 45.0, minimum=1.0)
PLAYGROUND_MODELS_CACHE_SECONDS = env_int("PLAYGROUND_MODELS_CACHE_SECONDS", 300)
# Compare mode: how many of a person's runs stream at once (across every server process,
# through leases in the cache: chat/limits/leases.py; the rest wait in a queue), and above
# how many requests a run asks for confirmation.
PLAYGROUND_COMPARE_CONCURRENCY = env_int("PLAYGROUND_COMPARE_CONCURRENCY", 8, minimum=1)
PLAYGROUND_COMPARE_CONFIRM_REQUESTS = env_int("PLAYGROUND_COMPARE_CONFIRM_REQUESTS", 20, minimum=1)
# Simulator pacing: tokens per second and delay before the first token.
PLAYGROUND_SIM_TOKENS_PER_SECOND = env_float("PLAYGROUND_SIM_TOKENS_PER_SECOND", 40.0)
PLAYGROUND_SIM_FIRST_TOKEN_DELAY = env_float("PLAYGROUND_SIM_FIRST_TOKEN_DELAY", 0.3)
PLAYGROUND_SIM_RECORD = env_bool("PLAYGROUND_SIM_RECORD", False)
# People's own providers (chat/providers/views.py). Their API keys are encrypted at rest
# with these Fernet keys (chat/providers/secrets.py): comma-separated, newest first. With DEBUG
# and none set, one development key is derived from SECRET_KEY.
PLAYGROUND_FERNET_KEYS = env_list("PLAYGROUND_FERNET_KEYS", [])
if not PLAYGROUND_FERNET_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PLAYGROUND_FERNET_KEYS must be set when DEBUG is off (make one with: python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )
    _derived = hashlib.sha256(b"playground-fernet-key:" + SECRET_KEY.encode()).digest()
    PLAYGROUND_FERNET_KEYS = [base64.urlsafe_b64encode(_derived).decode()]
for _key in PLAYGROUND_FERNET_KEYS:
    try:
        _valid = len(base64.urlsafe_b64decode(_key.encode())) == 32
    except (binascii.Error, ValueError):
        _valid = False
    if not _valid:
        raise ImproperlyConfigured(
            "PLAYGROUND_FERNET_KEYS must hold Fernet keys (32 bytes in url-safe base64)"
        )
# Providers may point at loopback and private addresses (local model servers); off, a
# provider's host must resolve to public addresses only (chat/providers/netguard.py).
PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = env_bool("PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS", DEBUG)
# Adding, changing or deleting a provider asks for the password unless this session
# signed in (or confirmed the password) within this many seconds (chat/providers/reauth.py).
PLAYGROUND_REAUTH_SECONDS = env_int("PLAYGROUND_REAUTH_SECONDS", 600)
