"""Settings for HMIS Access. Every value comes from the environment; .env.example lists
each one with its default. With nothing set it runs on SQLite with the console e-mail backend."""

from pathlib import Path
from urllib.parse import urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Development defaults for what the environment leaves unset: `make run` writes .env (DEBUG=1 and
# a secret key of the checkout's own) when there is none, so every manage.py command works
# without exporting anything. ENV_FILE names another file; empty reads none, as the test suite
# does (tests/support/no_dotenv.py), so a developer's .env never changes what is tested.
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)
# A development key is only acceptable while DEBUG is on; production must set its own.
SECRET_KEY = env("SECRET_KEY") if not DEBUG else env("SECRET_KEY", default="dev-insecure-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "bootstrap",
    "django_fsm",
    "csp",
    # Before django_tasks_db: its db_worker command is requests_app's, which first sweeps the
    # MOU renders lost with a worker (Django takes a command from the first app that has it).
    "requests_app",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the rest, so every answer carries PERMISSIONS_POLICY, static files and 413s too.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Before anything reads the body: an oversized upload is refused from its Content-Length.
    "hmis_access.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Inside AuthenticationMiddleware, which tells it who is signed in; outside the rest, so the
    # answers of every later middleware and view to a signed-in person are not cached.
    "hmis_access.middleware.PrivateResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session ended elsewhere (another sign-in, a change of roles) says so and signs out.
    "requests_app.accounts.sessions.EndedSessionMiddleware",
    # After the session, the user and messages: signs out after inactivity (its own message).
    "hmis_access.middleware.IdleLogoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication, sessions and messages: a person whose role decides is sent to set
    # up a second factor before any other page (requests_app/accounts/mfa.py).
    "requests_app.accounts.mfa.SecondFactorRequiredMiddleware",
]

ROOT_URLCONF = "hmis_access.urls"
WSGI_APPLICATION = "hmis_access.wsgi.application"

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
                "requests_app.core.context_processors.site",
                "requests_app.core.context_processors.header",
                "requests_app.core.context_processors.idle",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: without them every request opens a new PostgreSQL connection,
# which measured here made list pages about three times slower.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A runaway query or a wait on a lock ends with an error after this long instead of holding a
# worker and its connection forever; it also bounds lock waits, so no separate lock_timeout.
# 0 turns it off (e.g. for a long migration, or behind a pooler that refuses startup options).
DATABASE_STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=30000)
# PostgreSQL compiles a query to machine code (JIT) when the planner thinks it costly; for the
# visibility rules' subqueries it overestimates, and the compiling alone took 450 of a query's
# 490 ms (the dashboard of a committee member, docs/performance.md). Off unless asked for.
DATABASE_JIT = env.bool("DATABASE_JIT", default=False)
_startup = []
if DATABASE_STATEMENT_TIMEOUT_MS:
    _startup.append(f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}")
if not DATABASE_JIT:
    _startup.append("-c jit=off")
if _startup and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # Added to any options the URL already gives (?options=...), not in their place.
    _options["options"] = " ".join([_options.get("options", ""), *_startup]).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache every process shares: allauth counts failed sign-ins in it, and a cache of each
# process's own memory would let each gunicorn worker count them afresh. The database's
# table (hmis_cache) is made by `migrate` (migration 0021); Redis by URL suits as well.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://hmis_cache")}

AUTH_USER_MODEL = "requests_app.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Password rules, run by allauth's sign-up, change and reset forms and by the admin's.
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "name"]},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "requests_app.accounts.passwords.SiteNameValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail is the login, and it must be verified before the account is used.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "requests_app.accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# No "Remember me": every session cookie ends when the browser closes, and the idle limit
# below ends the session on the server whatever the cookie (requests_app/accounts/idle.py).
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[HMIS Access] "
ACCOUNT_ADAPTER = "requests_app.accounts.adapter.AccountAdapter"
# Failed sign-ins, counted by allauth in the shared cache above. The adapter counts a "key" per
# account *and* address, so somebody guessing from one address slows only themselves: at most
# 5 failures for one account from one address in 15 minutes, and 10 from one address for any
# accounts together; the owner signing in from elsewhere is not locked out. A success gives
# its attempt back. allauth's own default, 5 per account from anywhere, let anyone lock out a
# staff account. Format: allauth's, "amount/period/per", comma-separated.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_FAILED_RATE_LIMITS", default="10/15m/ip,5/15m/key"),
}

# Two-factor sign-in (allauth.mfa): an authenticator app (TOTP) or a security key (WebAuthn),
# with recovery codes. Required before CCEH staff, the committee, CAN leaders and administrators
# can act, optional for requestors (requests_app/accounts/mfa.py). Security keys need a secure
# context: https, or http://localhost in development (not 127.0.0.1).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_FORMS = {
    "authenticate": "requests_app.accounts.mfa.AuthenticateForm",
    "reauthenticate": "requests_app.accounts.mfa.ReauthenticateForm",
    "activate_totp": "requests_app.accounts.mfa.ActivateTOTPForm",
}
# The name an authenticator app shows beside the code.
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="HMIS Access")
# Recovery codes given at enrolment, each usable once.
MFA_RECOVERY_CODE_COUNT = env.int("MFA_RECOVERY_CODE_COUNT", default=10)
# "Trust this browser" stays off (allauth's default): every sign-in asks for the second factor.

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds an SMTP connection may wait on the server: without it, a server that accepts the
# connection and never answers holds the sending worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="HMIS Access <hmis-access@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails start with this: the address people reach the site at.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# The scheme of allauth's links (e-mail confirmation, password reset): by default SITE_URL's, so
# an http development site gets http links. "https" makes allauth write https whatever scheme
# the request came in by (behind a proxy it may look like http); "http" keeps the request's.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env(
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL", default=urlsplit(SITE_URL).scheme or "https"
)

# Background work: e-mails and MOU renders. Production sets django_tasks_db.DatabaseBackend and
# runs `manage.py db_worker`. Without a worker, each task runs in the process that queues it,
# after the response of the request that queued it (requests_app/core/tasks_backend.py).
TASKS = {
    "default": {
        "BACKEND": env(
            "TASKS_BACKEND", default="requests_app.core.tasks_backend.AfterResponseBackend"
        )
    }
}
# A failed e-mail is tried this many times in all, waiting RETRY_SECONDS, then twice as long
# after each further failure; after the last it is shown to staff as failed.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=60)
# A send claimed longer ago than this is taken for one whose worker died, and tried again.
NOTIFICATION_SENDING_TIMEOUT_MINUTES = env.int("NOTIFICATION_SENDING_TIMEOUT_MINUTES", default=15)
# How long an MOU version may stay unrendered after its render was queued before a sweep takes
# the render for lost and queues it again (a render takes well under a second).
MOU_RENDER_TIMEOUT_MINUTES = env.int("MOU_RENDER_TIMEOUT_MINUTES", default=10)
# Messages ("You approved ...") kept in the session, not a cookie: an answer lost on the way
# still leaves its message for the next page the person opens.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files a browser asks for at the site's root whatever the page links (/favicon.ico), served by
# WhiteNoise before any session or query, so no page, error pages included, logs a 404 for it.
WHITENOISE_ROOT = BASE_DIR / "webroot"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Uploaded files live outside every web root and are served only by views that check who asks.
PRIVATE_FILES_ROOT = Path(env("PRIVATE_FILES_ROOT", default=str(BASE_DIR / "var" / "private")))
# Request sizes. A post carries at most one attachment (at most 10 MB, requests_app/uploads.py)
# and its page's fields. Twice the attachment limit plus 1 MB lets a file up to about twice
# too large still reach the form, which refuses it with its size and keeps the answers typed;
# anything larger is answered 413 from its Content-Length before a byte of it is read.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=21 * 1024 * 1024)
# The fields apart from files: the largest page (50 named people, answers of at most 4,000
# characters) posts well under 1 MB, even URL-encoded.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# 50 named people of 6 fields each and the rest of the page: a few hundred.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
# An upload larger than this is written to a temporary file instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Fields and widgets drawn by Jinja2 templates in Bootstrap's markup, the admin's widgets by
# Django templates (docs/performance.md).
FORM_RENDERER = "requests_app.core.renderer.FormRenderer"

# Security. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER_ENABLED.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of the site that each append the address they were reached from to
# X-Forwarded-For (1 behind one nginx). The client's address, for allauth's login limits and the
# read log, is then the one the outermost trusted proxy wrote; 0 believes no header, and the
# address is the connection's (REMOTE_ADDR): behind a proxy, the proxy's own.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_REFERRER_POLICY = "same-origin"
# Automatic sign-out after this many minutes without activity (HMIS standards ask for it):
# sooner for the roles that decide (CCEH staff, sub-committee members and chair, CAN leaders,
# administrators) than for requestors. A warning shows this many seconds before, with "Stay
# signed in" (WCAG 2.2.1); a person's limit is decided when they sign in.
IDLE_LOGOUT_DECIDING_MINUTES = env.int("IDLE_LOGOUT_DECIDING_MINUTES", default=15)
IDLE_LOGOUT_REQUESTOR_MINUTES = env.int("IDLE_LOGOUT_REQUESTOR_MINUTES", default=30)
IDLE_WARNING_SECONDS = env.int("IDLE_WARNING_SECONDS", default=120)
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: the policy forbids them, so templates cannot drift.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Permissions-Policy: the browser features no page of the site uses are refused to it and to
# anything it might embed. Security keys (WebAuthn) sign people in, so the site itself may ask
# for and create a public-key credential. Only features Chromium knows: it logs an error for
# any other (e.g. "bluetooth"), and the browser tests fail on such an error.
PERMISSIONS_POLICY = {
    **dict.fromkeys(
        [
            "accelerometer",
            "autoplay",
            "browsing-topics",
            "camera",
            "display-capture",
            "encrypted-media",
            "geolocation",
            "gyroscope",
            "hid",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "picture-in-picture",
            "screen-wake-lock",
            "serial",
            "usb",
            "xr-spatial-tracking",
        ],
        (),  # allowed to no origin
    ),
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools log every step of every PDF at INFO; only their problems matter.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The product's own settings.
# Where the help page (/help/) and the error pages send questions: CCEH's HMIS team.
HELP_EMAIL = env("HELP_EMAIL", default="hmis-access@localhost")
COMMITTEE_NAME = env("COMMITTEE_NAME", default="HMIS Steering Committee sub-committee")
# Quorum: strictly more than this share of current members cast a vote that is not a recusal.
COMMITTEE_QUORUM_SHARE = env("COMMITTEE_QUORUM_SHARE", default="1/2")
COMMITTEE_VOTING_DAYS = env.int("COMMITTEE_VOTING_DAYS", default=14)
STAFF_WAITING_THRESHOLD_WORKING_DAYS = env.int("STAFF_WAITING_THRESHOLD_WORKING_DAYS", default=10)
# Decision targets (docs/design.md, section 4, "Stages and targets"): CCEH decides within this
# many working days of the first submission, the committee within this many calendar days of the
# escalation; the queue, the docket and a request's page show each request's clock, and
# `send_reminders` reminds from DECISION_REMINDER_DAYS_BEFORE_TARGET days before (working days
# for CCEH's) until the decision.
CCEH_DECISION_TARGET_WORKING_DAYS = env.int("CCEH_DECISION_TARGET_WORKING_DAYS", default=10)
COMMITTEE_DECISION_TARGET_DAYS = env.int("COMMITTEE_DECISION_TARGET_DAYS", default=30)
DECISION_REMINDER_DAYS_BEFORE_TARGET = env.int("DECISION_REMINDER_DAYS_BEFORE_TARGET", default=2)
# How long granted access lasts before it is renewed; the MOU states it.
GRANT_TERM_MONTHS = env.int("GRANT_TERM_MONTHS", default=12)
# Days before the end of the term from which the organization can start a renewal.
GRANT_RENEWAL_WINDOW_DAYS = env.int("GRANT_RENEWAL_WINDOW_DAYS", default=60)
# The life of access once active (agreement/access.py and the daily expiry job): each MOU's
# people are reviewed by the organization's authorized signatory this often; training and each
# person's user agreement are current for this long; a person past due this many days is
# suspended until current again; reminders go out from this many days before a due date.
RECERTIFICATION_PERIOD_MONTHS = env.int("RECERTIFICATION_PERIOD_MONTHS", default=12)
TRAINING_VALID_MONTHS = env.int("TRAINING_VALID_MONTHS", default=12)
USER_AGREEMENT_VALID_MONTHS = env.int("USER_AGREEMENT_VALID_MONTHS", default=12)
ACCESS_GRACE_DAYS = env.int("ACCESS_GRACE_DAYS", default=30)
ACCESS_REMINDER_DAYS_BEFORE = env.int("ACCESS_REMINDER_DAYS_BEFORE", default=30)
# Reminders (`manage.py send_reminders`, daily): members who have not voted, from this many
# days before the deadline; requestors whose return is unanswered after this many days.
VOTE_REMINDER_DAYS_BEFORE_DEADLINE = env.int("VOTE_REMINDER_DAYS_BEFORE_DEADLINE", default=3)
RETURN_REMINDER_DAYS = env.int("RETURN_REMINDER_DAYS", default=14)

# The read log (requests_app/audit): days an entry is kept before `manage.py purge_read_log`
# deletes it. Seven years (2557 days): HUD's HMIS Data and Technical Standards Final Notice
# (69 FR 45888, 2004, privacy standards, data quality) keeps personal data seven years after it
# was created or last changed.
READ_LOG_RETENTION_DAYS = env.int("READ_LOG_RETENTION_DAYS", default=2557)

# The benchmark's bare pages under /bench/ (docs/performance.md); only `make bench` turns it on.
BENCH_PAGES = env.bool("BENCH_PAGES", default=False)
