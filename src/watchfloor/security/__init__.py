"""Agencies, users, roles, API keys and the principal a request acts as."""

# what other domains may import (scripts/check_public.py checks it)
from watchfloor.security import models, refusals
from watchfloor.security.models import Agency, Office, User
from watchfloor.security.service import (
    Principal,
    create_agency,
    get_agency,
    principal_for_user,
    require_role,
    system_principal,
)

__all__ = [
    "Agency",
    "Office",
    "Principal",
    "User",
    "create_agency",
    "get_agency",
    "models",
    "principal_for_user",
    "refusals",
    "require_role",
    "system_principal",
]
