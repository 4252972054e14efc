"""The read-only JSON API, /api/v1/: a runner's own data, a coach's squads (SPEC §8: a token
reads what its owner may read). django-ninja: typed schemas give the OpenAPI document at
/api/v1/openapi.json from the same code that answers. Paginated with limit and offset."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from api.models import PersonalToken
from sessions.summary import summarize
from stridesite.permissions import visible_runners, visible_sessions


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sst_…`, a personal access token made on the API tokens page."""

    def authenticate(self, request: HttpRequest, token: str):
        user = PersonalToken.owner_of(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(title="StrideSite API", version="1", description=__doc__, auth=TokenAuth(),
               urls_namespace="api", docs_url=None)  # no docs page: it would load its scripts from a CDN


class Runner(Schema):
    id: int
    name: str = Field(alias="display_name")


class Session(Schema):
    id: int
    runner_id: int
    started_at: datetime
    duration_s: float | None
    source: str
    status: str
    sample_rate_hz: float


class LegSummary(Schema):
    strides: int
    kickback: float
    knee_elevation: float


class Summary(Schema):
    strides: int
    low_quality: int
    kickback: float | None = None
    knee_elevation: float | None = None
    kickback_in_pct: int | None = None
    knee_in_pct: int | None = None
    symmetry: float | None = None
    speed: float | None = None
    left: LegSummary | None = None
    right: LegSummary | None = None


class SessionDetail(Session):
    notes: str
    summary: Summary


class Quality(Schema):
    missing_pct: float = 0.0
    longest_gap_ms: int = 0
    gap_at_peak: bool = False
    kickback_uncertainty_deg: float | None = None
    knee_elevation_uncertainty_deg: float | None = None
    low: bool = False


class Stride(Schema):
    id: int
    leg: str
    t_start: float
    t_toe_off: float
    t_end: float
    kickback_deg: float
    knee_elevation_deg: float
    cadence_spm: float
    contact_ms: int
    speed_mps: float
    pace_band: str
    kickback_zone: str
    knee_elevation_zone: str
    kickback_symmetry_pct: float | None
    knee_elevation_symmetry_pct: float | None
    quality: Quality
    low_quality: bool


@api.get("/runners", response=list[Runner], tags=["runners"])
@paginate(LimitOffsetPagination)
def runners(request: HttpRequest):
    """The token owner's own profile and, for a coach, the runners of his squads."""
    return visible_runners(request.user).order_by("pk")  # a page is sliced in the database


@api.get("/sessions", response=list[Session], tags=["sessions"])
@paginate(LimitOffsetPagination)
def sessions(request: HttpRequest, runner: int | None = None):
    """Sessions the owner may read, newest first; `runner` narrows to one runner."""
    found = visible_sessions(request.user).order_by("-started_at", "-pk")
    return found if runner is None else found.filter(runner_id=runner)


@api.get("/sessions/{session_id}", response=SessionDetail, tags=["sessions"])
def session(request: HttpRequest, session_id: int):
    """One session with its summary (medians and zone shares of good strides)."""
    found = get_object_or_404(visible_sessions(request.user), pk=session_id)
    found.summary = summarize(found)
    return found


@api.get("/sessions/{session_id}/strides", response=list[Stride], tags=["sessions"])
@paginate(LimitOffsetPagination)
def strides(request: HttpRequest, session_id: int):
    """A session's strides in time order, each with its quality (SPEC §6)."""
    found = get_object_or_404(visible_sessions(request.user), pk=session_id)
    return found.strides.order_by("t_start", "leg")
