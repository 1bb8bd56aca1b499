"""Runtime configuration, read once from ``WATCHFLOOR_*`` environment variables.

Nothing else in the package reads ``os.environ``: code asks :func:`get_settings`, and tests
override it by calling :func:`get_settings.cache_clear` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """All of Watchfloor's settings; each maps to ``WATCHFLOOR_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="WATCHFLOOR_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means an SQLite file under data_dir. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/db",
    )
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Where the SQLite file lives.")
    nats_url: str | None = Field(
        default=None, description="NATS server, e.g. nats://127.0.0.1:4222; unset = in-process bus."
    )
    nats_stream: str = Field(default="WATCHFLOOR", description="JetStream stream name.")
    nats_subject_root: str = Field(
        default="watchfloor",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="First token of every subject; the stream holds '<root>.>'.",
    )
    demo: bool = Field(
        default=False,
        description="A demo instance: users may keep the demo password (never with real data).",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the web server binds to.")
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="Lifetime of a browser session in hours."
    )
    session_idle_minutes: float = Field(
        default=30.0,
        ge=0,
        le=24 * 60,
        description="A browser session unused this long ends (0: only its lifetime ends it).",
    )
    login_failures_per_account: int = Field(
        default=5, ge=1, le=1000,
        description="Failed logins to one account within login_window_minutes that lock it.",
    )  # fmt: skip
    login_failures_per_address: int = Field(
        default=20, ge=1, le=100_000,
        description="Failed logins from one address within login_window_minutes that lock "
        "it out of every account.",
    )  # fmt: skip
    login_window_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    login_lockout_minutes: float = Field(
        default=15.0, gt=0, le=7 * 24 * 60, description="How long a lockout lasts."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark cookies Secure on every request; they are marked Secure anyway "
        "whenever the request came over HTTPS (behind a proxy: X-Forwarded-Proto).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info")
    db_connect_timeout: int = Field(default=5, ge=1, le=120, description="Seconds.")
    platforms_file: Path | None = Field(
        default=None,
        description="TOML file of the platforms that receive notices and their SLAs "
        "(default: the shipped listings/platforms.toml).",
    )
    communities_file: Path | None = Field(
        default=None,
        description="TOML file of the sharing communities (default: the shipped "
        "sharing/communities.toml).",
    )
    instance_name: str = Field(
        default="watchfloor",
        pattern=r"^[a-z0-9][a-z0-9-]{1,79}$",
        description="This instance's name among federated peers (lower case, digits, '-').",
    )
    federation_sync_seconds: float = Field(
        default=0,
        ge=0,
        description="How often the worker pulls every peer's feed (0: never; "
        "`watchfloor cooperation federation sync PEER` pulls on demand).",
    )
    audit_checkpoint_seconds: float = Field(
        default=3600,
        ge=0,
        description="How often the worker signs a checkpoint of the audit chain's head and "
        "keeps it (0: never; `watchfloor audit checkpoint` signs one on demand).",
    )
    warning_scan_seconds: float = Field(
        default=900,
        ge=0,
        description="How often the worker scans for early warnings for every agency with an "
        "active subscription, and publishes what is new as <root>.warning.raised (0: never).",
    )
    pen_file: Path | None = Field(
        default=None,
        description="TOML file of the pre-export notification authorities and deadlines per "
        "importing country (default: the shipped cooperation/pen/pen.toml).",
    )
    signal_key: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{64,128}$",
        description="The community key (hex, 32-64 bytes) for hashed signal sharing; unset: "
        "one is made on first use and kept in the database.",
    )
    notice_check_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often 'watchfloor serve' and the worker look for overdue notices "
        "to escalate; 0 turns the check off.",
    )

    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'watchfloor.db').resolve()}"


class ConfigError(Exception):
    """A setting has a value that cannot be used; the message names the variable."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read and validate the settings once; raise :class:`ConfigError` naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"WATCHFLOOR_{field.upper()}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
