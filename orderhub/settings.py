"""OrderHub settings, all from environment variables with demo-safe defaults."""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from import_export.formats import base_formats

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ORDERHUB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
HTTPS = env_bool("ORDERHUB_HTTPS")
# The demo keys are public on purpose; production refuses to start with them (see HTTPS below).
DEMO_SECRET_KEY = "django-insecure-orderhub-demo-key-change-me-in-production-0000"  # noqa: S105
DEMO_FIELD_ENCRYPTION_KEY = "xOK9zLxGmqSxq8Q3nF_7gm3lfvq0kvKMpe3dmjTP1aU="
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
# Comma-separated Fernet keys, newest first, so keys can be rotated without losing old ciphertext.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", DEMO_FIELD_ENCRYPTION_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_q",
    "axes",
    "orderhub",
    "orderhub.ops",
    "orderhub.dashboard",
    "channels_sync",
    "fulfillment",
    "refunds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "orderhub.middleware.ConsoleLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into its 429 answer.
    "axes.middleware.AxesMiddleware",
]
# Platform pushes skip the console's middleware (orderhub/lean_wsgi.py): only these run for them.
LEAN_PATH_PREFIXES = ["/hooks/"]
LEAN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "orderhub.urls"
WSGI_APPLICATION = "orderhub.wsgi.application"

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
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'orderhub.sqlite3'}"),
        conn_max_age=0,
    )
}
# django-q2 forks its workers (at start and every `recycle` tasks) from a sentinel that has used the
# database (the scheduler). psycopg's pool keeps its sockets open through close_all(), so a forked worker
# shared live connections with its parent: "connection in transaction status INTRANS" under
# simulate_peak, and failed tasks whose announcements were lost. Worker processes run one task at a
# time, so they use plain persistent connections, which close_all() really closes before a fork.
QCLUSTER_PROCESS = len(sys.argv) > 1 and sys.argv[1] == "qcluster"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and QCLUSTER_PROCESS:
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's pool instead of persistent connections: those leaked under load (DESIGN.md section 6).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 8, "timeout": 10}
else:
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "orderhub" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("ORDERHUB_MANIFEST_STATIC", HTTPS)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Without collectstatic (the demo) whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = not HTTPS

# Console login throttling (orderhub.ops.login_throttle, django-axes): 5 wrong passwords for one
# username from one address lock that pair out for 15 minutes.
AUTHENTICATION_BACKENDS = [
    "orderhub.ops.login_throttle.ConsoleLoginThrottle",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_USERNAME_CALLABLE = "orderhub.ops.login_throttle.throttle_username"
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "console-home"

# Behind TLS in production (ORDERHUB_HTTPS=1): HTTPS only, secure cookies, HSTS, and the demo keys refused.
# Without it (the demo on localhost, tests) plain HTTP works.
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", HTTPS) else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if HTTPS and (SECRET_KEY == DEMO_SECRET_KEY or FIELD_ENCRYPTION_KEY == DEMO_FIELD_ENCRYPTION_KEY):
    raise ImproperlyConfigured(
        "production (ORDERHUB_HTTPS=1) needs its own SECRET_KEY and FIELD_ENCRYPTION_KEY"
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["orderhub.apis.permissions.ModelPermissionsWithView"],
    "DEFAULT_FILTER_BACKENDS": ["orderhub.apis.filtering.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "orderhub.apis.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orderhub.apis.errors.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OrderHub API",
    "DESCRIPTION": "Orders, shops and master data of the OrderHub multi-channel order hub.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orderhub.status.OrderStatus",
        "HoldStatusEnum": "orderhub.models.HoldStatus",
    },
}

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Without these django-import-export lets anyone who can open a model's list import into it: a
# warehouse user could import SKU mappings (found by tests/robustness/test_permission_leaks.py).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_FORMATS = EXPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]

REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "orderhub",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 300,
    "retry": 360,  # larger than timeout, or a slow task runs twice
    "max_attempts": 3,
    "save_limit": -1,  # keep failures only: the default scan after every task caps the cluster ~75 tasks/s
    "ack_failures": True,
    # A fresh worker loads the address library and warms its caches (about a second of CPU). At
    # django-q2's default of 500 tasks, a peak replaced one of four workers every ~30 s and the orders
    # queued behind it waited; the memory guard below recycles a worker that grows instead.
    "recycle": int(os.environ.get("Q_RECYCLE", "20000")),
    "max_rss": int(os.environ.get("Q_MAX_RSS_KB", "1500000")),
    "catch_up": False,
    "label": "Django Q2",
    "sync": env_bool("Q_SYNC"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# While pushes keep coming, the drain claims them at most this often (seconds), so a peak is upserted and
# decided in batches of tens or hundreds: per-batch work (rule tables, tasks, commits) stays small per
# order, and paid → allocated stays well under a second. 0 claims again at once.
INBOUND_DRAIN_GATHER_SECONDS = float(os.environ.get("INBOUND_DRAIN_GATHER_SECONDS", "0.25"))
# Worker processes re-read the decision rules and settings at most this often (seconds); a change made
# in the same process (the console, a test) applies at once.
DECISION_TABLES_MAX_AGE_SECONDS = float(os.environ.get("DECISION_TABLES_MAX_AGE_SECONDS", "5"))

# Who hears which domain event: the after-commit dispatcher queues these task paths with the ids.
# Lower layers announce; higher layers subscribe here, in the project wiring, never by import.
DOMAIN_EVENT_SUBSCRIBERS: dict[str, list[str]] = {
    "order.paid": ["fulfillment.decide_tasks.order_process_task"],
    # A presale's deposit: its stock is reserved until the balance is paid.
    "order.deposit_paid": ["fulfillment.decide_tasks.order_process_task"],
    # The order's last open hold was resolved: decide again.
    "order.released": ["fulfillment.decide_tasks.order_released_task"],
    "order.cancelled": [
        "fulfillment.tasks.release_on_cancel",
        "fulfillment.decide_tasks.order_process_task",
        "fulfillment.tasks_warehouse.waybills_void_on_cancel",
    ],
    # The platform reports a new receiver after payment: update or reissue the waybill, or hold.
    "order.address_changed": ["fulfillment.tasks_warehouse.address_changed_task"],
    # A refund payload was stored and read by its platform mapping: apply it (refunds app).
    "refund.received": ["refunds.tasks.refund_apply"],
}

# Operations (orderhub.ops, issue 7). Outbound webhooks hear every domain event a seller's ERP, CRM,
# finance or survey tool may subscribe to; appended so the lists above stay each app's own.
for _event, _task in {
    "order.paid": "orderhub.ops.tasks.on_order_paid",
    "order.held": "orderhub.ops.tasks.on_order_held",
    "order.shipped": "orderhub.ops.tasks.on_order_shipped",
    "order.delivered": "orderhub.ops.tasks.on_order_delivered",
    "order.completed": "orderhub.ops.tasks.on_order_completed",
    "order.cancelled": "orderhub.ops.tasks.on_order_cancelled",
    "refund.changed": "orderhub.ops.tasks.on_refund_changed",
    "stock.low": "orderhub.ops.tasks.on_stock_low",
}.items():
    DOMAIN_EVENT_SUBSCRIBERS.setdefault(_event, []).append(_task)
OPS_ALERT_PROBES = [
    "orderhub.ops.services.evaluate.backlog_probe",
    "orderhub.ops.services.evaluate.inflow_probe",
    "orderhub.ops.services.evaluate.stuck_probe",
    "orderhub.dashboard.probes.sync_failures_probe",
    "orderhub.dashboard.probes.low_stock_probe",
]
OPS_BACKLOG_ALERT_ORDERS = int(os.environ.get("OPS_BACKLOG_ALERT_ORDERS", "200"))
OPS_INFLOW_ALERT_PER_MINUTE = int(os.environ.get("OPS_INFLOW_ALERT_PER_MINUTE", "500"))
OPS_SYNC_FAILURES_PER_HOUR = 10
# Minutes an order may stay in a status before the stuck-order scan opens a hold on it.
OPS_STUCK_LIMITS_MINUTES = {"paid": 48 * 60, "shipped": 10 * 24 * 60}
OPS_ALERT_OWNERS: dict[str, str] = {}  # alert kind -> username who owns new alerts of that kind
OPS_WEBHOOK_PAYLOADS = {
    "refund.changed": "orderhub.dashboard.webhook_payloads.refund_data",
    "stock.low": "orderhub.dashboard.webhook_payloads.stock_data",
}
# Order Health Index: the weights of its five parts (they need not add up to 1; they are normalised).
HEALTH_INDEX_WEIGHTS = {
    "timeliness": 0.2,
    "completeness": 0.2,
    "consistency": 0.2,
    "accuracy": 0.2,
    "controllability": 0.2,
}
# Sync delay (minutes from platform change to our receipt) at which timeliness scores 0.
HEALTH_TIMELINESS_ZERO_MINUTES = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "orderhub.logging.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs request URLs at INFO, and some platforms put the access token in the query string.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

ORDERHUB_SANDBOX = env_bool("ORDERHUB_SANDBOX", True)
ORDERHUB_SANDBOX_URL = os.environ.get("ORDERHUB_SANDBOX_URL", "http://127.0.0.1:8700")
