"""The feedback plugin's tabs: Feedback, kept by staff, and Satisfaction, rebuilt every sync.

On Feedback the plugin owns only the two deadlines it computes (``Acknowledge by`` and
``Resolve by``); everything else is what staff typed. The comments column is protected
health information (``x-phi``): patients write about their care, and a row may name the
patient at any time, so it is always masked in reports and logged when read.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string"}
TYPES = ["compliment", "complaint", "suggestion", "grievance"]
STATUSES = ["new", "acknowledged", "in progress", "resolved", "closed"]
CHANNELS = ["in person", "phone", "email", "letter", "web form", "survey", "portal", "review site"]


def _f(kind: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
    return {**kind, "x-title": title, **extra}


def _owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
    return {**kind, "x-title": title, "x-owner": "plugin"}


def feedback() -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": "feedback",
        "description": "Patient feedback: compliments, complaints, suggestions and grievances, with their follow-up.",
        "type": "object",
        "x-title": "Feedback",
        "x-tab-aliases": ["Complaints", "Patient feedback", "Grievances"],
        "x-primary-key": "id",
        "x-id-prefix": "FB",
        "properties": {
            "id": _f(TEXT, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."),
            "received": _f(DATE, "Date", **{"x-header-aliases": ["Received", "Date received"]}),
            "channel": _f(TEXT, "Channel", enum=CHANNELS, **{"x-aliases": {"web": "web form", "online": "web form"}}),
            "patient_id": _f(TEXT, "Patient", **{"x-ref": "patient", "x-header-aliases": ["MRN"]}),
            "provider_id": _f(TEXT, "Provider", **{"x-ref": "provider"}),
            "area": _f(TEXT, "Area", **{"x-header-aliases": ["Department"]}),
            "type": _f(TEXT, "Type", enum=TYPES),
            "rating": _f(
                {"type": "integer", "minimum": 1, "maximum": 5},
                "Rating (1-5)",
                **{"x-header-aliases": ["Rating", "Stars"]},
            ),
            "nps": _f(
                {"type": "integer", "minimum": 0, "maximum": 10}, "Recommend (0-10)", **{"x-header-aliases": ["NPS"]}
            ),
            "text": _f(TEXT, "Comments", **{"x-phi": True, "x-header-aliases": ["Text", "Comment", "Details"]}),
            "privacy": _f({"type": "boolean"}, "Privacy concern", **{"x-header-aliases": ["Privacy", "HIPAA"]}),
            "owner_id": _f(TEXT, "Owner", **{"x-ref": "staff", "x-header-aliases": ["Assigned to"]}),
            "status": _f(TEXT, "Status", enum=STATUSES, **{"x-aliases": {"open": "new", "in-progress": "in progress"}}),
            "acknowledged_on": _f(DATE, "Acknowledged", **{"x-header-aliases": ["Acknowledged on"]}),
            "resolved_on": _f(DATE, "Resolved", **{"x-header-aliases": ["Resolved on"]}),
            "acknowledge_by": _owned(DATE, "Acknowledge by"),
            "resolve_by": _owned(DATE, "Resolve by"),
        },
        "required": ["id", "received", "type"],
        "additionalProperties": False,
    }


def satisfaction() -> dict[str, Any]:
    number = {"type": "number"}
    count = {"type": "integer", "minimum": 0}
    return {
        "$schema": SCHEMA,
        "title": "satisfaction_month",
        "description": "Satisfaction by month and provider; rebuilt by the feedback plugin every sync.",
        "type": "object",
        "x-title": "Satisfaction",
        "x-primary-key": "id",
        "x-id-prefix": "SAT",
        "properties": {
            "id": _owned(TEXT, "Line"),
            "month": _owned(TEXT, "Month"),
            "provider": _owned(TEXT, "Provider"),
            "responses": _owned(count, "Ratings"),
            "average_rating": _owned(number, "Average rating"),
            "nps_responses": _owned(count, "NPS answers"),
            "nps": _owned(number, "NPS"),
            "compliments": _owned(count, "Compliments"),
            "complaints": _owned(count, "Complaints"),
        },
        "required": ["id", "month"],
        "additionalProperties": False,
    }
