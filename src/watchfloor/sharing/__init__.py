"""The sharing core: who may read and share a record (TLP, named recipients and communities,
originator control, expiry), the grants that set it, and the change log federation reads.
It imports no domain; every domain decides visibility through it."""

# what other domains may import (scripts/check_public.py checks it)
from watchfloor.sharing import communities, policy
from watchfloor.sharing.changes import Change, on_policy_change, record_changes
from watchfloor.sharing.communities import CODE
from watchfloor.sharing.grants import (
    apply_sharing,
    audit_list_reads,
    forget_recipients,
    name_recipients,
    read_record,
    reshare,
    sharing_out,
)
from watchfloor.sharing.models import Shareable
from watchfloor.sharing.policy import can_read, can_share, shareable, visible
from watchfloor.sharing.schemas import SharingIn, SharingOut, Tlp

__all__ = [
    "CODE",
    "Change",
    "Shareable",
    "SharingIn",
    "SharingOut",
    "Tlp",
    "apply_sharing",
    "audit_list_reads",
    "can_read",
    "can_share",
    "communities",
    "forget_recipients",
    "name_recipients",
    "on_policy_change",
    "policy",
    "read_record",
    "record_changes",
    "reshare",
    "shareable",
    "sharing_out",
    "visible",
]
