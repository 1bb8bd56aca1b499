"""The vocabulary of notices and of the platforms' answers: the EU Digital Services Act's
statement-of-reasons attributes (Article 17 DSA), as the Commission's DSA Transparency
Database names them (https://transparency.dsa.ec.europa.eu/page/api-documentation and
/page/additional-explanation-for-statement-attributes).

Our short codes are what the API and the forms take; each maps to the Transparency
Database's code, so an answer can be exported as a statement of reasons unchanged. "No
action" has no statement of reasons in the DSA (a statement follows a restriction only);
here it must come with one of :data:`NO_ACTION_REASONS`, so that a refusal is as
explainable as an action.
"""

from __future__ import annotations

from typing import Any, Literal

# visibility restrictions of the content itself (decision_visibility)
VISIBILITY: dict[str, tuple[str, str]] = {
    "removed": ("DECISION_VISIBILITY_CONTENT_REMOVED", "Removal of content"),
    "disabled": ("DECISION_VISIBILITY_CONTENT_DISABLED", "Disabling access to content"),
    "demoted": ("DECISION_VISIBILITY_CONTENT_DEMOTED", "Demotion of content"),
    "age_restricted": ("DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "Age restriction"),
    "interaction_restricted": (
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "Restriction of interaction with the content",
    ),
    "labelled": ("DECISION_VISIBILITY_CONTENT_LABELLED", "Labelling of content"),
    "other_restriction": ("DECISION_VISIBILITY_OTHER", "Other restriction"),
}
NO_ACTION = "no_action"
ACTIONS: dict[str, str] = {k: label for k, (_, label) in VISIBILITY.items()} | {
    NO_ACTION: "No action"
}
# restrictions of the seller's account (decision_account)
ACCOUNT: dict[str, tuple[str, str]] = {
    "suspended": ("DECISION_ACCOUNT_SUSPENDED", "Suspension of the account"),
    "terminated": ("DECISION_ACCOUNT_TERMINATED", "Termination of the account"),
}
# decision_ground: the law, or the platform's own terms and conditions
GROUNDS: dict[str, tuple[str, str]] = {
    "illegal_content": ("DECISION_GROUND_ILLEGAL_CONTENT", "Illegal content"),
    "incompatible_content": (
        "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "Content incompatible with the terms and conditions",
    ),
}
# automated_decision
AUTOMATION: dict[str, tuple[str, str]] = {
    "fully": ("AUTOMATED_DECISION_FULLY", "Fully automated"),
    "partially": ("AUTOMATED_DECISION_PARTIALLY", "Partially automated"),
    "not_automated": ("AUTOMATED_DECISION_NOT_AUTOMATED", "Not automated"),
}
NO_ACTION_REASONS: dict[str, str] = {
    "not_illegal": "assessed as lawful and compatible with the terms and conditions",
    "not_found": "not found at the address given (already gone, or a wrong address)",
    "already_actioned": "already restricted before the notice arrived",
    "insufficient_information": "the notice did not allow the content to be identified or assessed",
    "outside_scope": "not available in the notice's territorial scope",
    "other": "another reason, given in the explanation",
}
# what an agency asks for, and the answers that give effect to it
REQUESTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "remove": ("Remove the content", ("removed",)),
    "disable": ("Disable access to the content", ("removed", "disabled")),
    "restrict": (
        "Restrict the content",
        ("removed", "disabled", "demoted", "age_restricted", "interaction_restricted"),
    ),
    "label": ("Label the content", ("removed", "disabled", "labelled")),
    "suspend_account": ("Suspend the seller's account", ()),
    "terminate_account": ("Terminate the seller's account", ()),
}
CATEGORY = "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS_OR_SERVICES"
SOURCE_TYPE = "SOURCE_TYPE_OTHER_NOTIFICATION"  # a notice from an authority (not Art. 16)

Action = Literal[
    "removed",
    "disabled",
    "demoted",
    "age_restricted",
    "interaction_restricted",
    "labelled",
    "other_restriction",
    "no_action",
]
AccountAction = Literal["suspended", "terminated"]
Ground = Literal["illegal_content", "incompatible_content"]
Automation = Literal["fully", "partially", "not_automated"]
NoActionReason = Literal[
    "not_illegal",
    "not_found",
    "already_actioned",
    "insufficient_information",
    "outside_scope",
    "other",
]
Request = Literal["remove", "disable", "restrict", "label", "suspend_account", "terminate_account"]
Priority = Literal["urgent", "standard"]


def is_actioned(action: str | None, account_action: str | None) -> bool:
    """Did the platform restrict anything (the content or the seller's account)?"""
    return (action is not None and action != NO_ACTION) or account_action is not None


def as_requested(request: str, action: str | None, account_action: str | None) -> bool:
    """Did the answer give effect to what the notice asked for?"""
    if request == "suspend_account":
        return account_action in ("suspended", "terminated")
    if request == "terminate_account":
        return account_action == "terminated"
    return action in REQUESTS[request][1]


def statement_of_reasons(
    *,
    action: str,
    account_action: str | None,
    ground: str,
    ground_reference: str,
    explanation: str,
    automated_detection: bool,
    automated_decision: str,
    territorial_scope: list[str],
    puid: str,
    url: str | None,
    decided_on: str,
) -> dict[str, Any]:
    """The answer as a DSA Transparency Database statement of reasons (its attribute names
    and codes). Only an answer that restricted something has one."""
    out: dict[str, Any] = {
        "decision_ground": GROUNDS[ground][0],
        "category": CATEGORY,
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "source_type": SOURCE_TYPE,
        "automated_detection": "Yes" if automated_detection else "No",
        "automated_decision": AUTOMATION[automated_decision][0],
        "territorial_scope": territorial_scope,
        "application_date": decided_on,
        "decision_facts": explanation,
        "puid": puid,
    }
    if action != NO_ACTION:
        out["decision_visibility"] = [VISIBILITY[action][0]]
    if account_action:
        out["decision_account"] = ACCOUNT[account_action][0]
    if ground == "illegal_content":
        out["illegal_content_legal_ground"] = ground_reference
        out["illegal_content_explanation"] = explanation
    else:
        out["incompatible_content_ground"] = ground_reference
        out["incompatible_content_explanation"] = explanation
    if url:
        out["url"] = url
    return out
