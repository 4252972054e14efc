"""People pages: homes, squads, invitations. Every lookup goes through stridesite.permissions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from athletes import services
from athletes.forms import (
    AssignLeggingsForm,
    InviteForm,
    LeggingsForm,
    RunnerProfileForm,
    RunnerSignupForm,
    SquadForm,
    SquadLeggingsForm,
    StationForm,
    ZoneForm,
)
from athletes.models import Invitation, RunnerProfile, Squad, hash_token
from audit.models import AuditEvent
from audit.services import audit_record
from ingest.models import IngestStation
from ingest.services import revoke_station
from metrics.core import PACE_BANDS
from metrics.models import ZoneOverride, zone_table_for
from sessions.models import RunSession
from sessions.summary import summarize
from stridesite.limits import made_in_last_day
from stridesite.permissions import (
    coached_runners,
    coached_squads,
    is_coach,
    managed_leggings,
    managed_stations,
    visible_runners,
    visible_sessions,
)

Kind = AuditEvent.Kind  # security events recorded by these views (audit app)
HOME_STATIONS_A_DAY = 5  # new home-station tokens a runner may make (each revokes the last)


def coach_required(view):
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_coach(request.user):
            raise PermissionDenied("Coaches only.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_coach(request.user):
        return redirect("coach_home")
    return redirect("runner_home")


@login_required
def runner_home(request: HttpRequest) -> HttpResponse:
    runner = getattr(request.user, "runner", None)
    sessions = visible_sessions(request.user).filter(runner=runner) if runner else []
    syncing = [s for s in sessions.select_related("upload").filter(
        source=RunSession.Source.SYNCED, status=RunSession.Status.PROCESSING)] if runner else []
    sessions = [(s, summarize(s)) for s in sessions]
    squads = runner.squads.all() if runner else []
    return render(
        request,
        "athletes/runner_home.html",
        {"runner": runner, "sessions": sessions, "squads": squads, "syncing": syncing},
    )


def _runner_of(request: HttpRequest) -> RunnerProfile:
    runner = getattr(request.user, "runner", None)
    if runner is None:
        raise PermissionDenied("No runner profile.")
    return runner


@login_required
def my_leggings(request: HttpRequest) -> HttpResponse:
    """A runner's own leggings (register a pair) and her home station (SPEC §8)."""
    runner = _runner_of(request)
    form = LeggingsForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.runner = runner
        _register_leggings(request, form)
        return redirect("my_leggings")
    return _my_leggings_page(request, runner, form, status=400 if form.errors else 200)


def _register_leggings(request: HttpRequest, form: LeggingsForm, squad: Squad | None = None) -> None:
    """A pair from its box, owned by whoever registers it (a runner her own, a coach the squad's)."""
    pair = form.save()
    audit_record(Kind.LEGGINGS_REGISTERED, request=request, squad=squad, target=f"leggings {pair.serial}")
    messages.success(request, f"Leggings {pair.serial} registered.")


def _my_leggings_page(request: HttpRequest, runner: RunnerProfile, form: LeggingsForm,
                      status: int = 200, **extra) -> HttpResponse:
    stations = managed_stations(request.user).filter(home=True).active()
    return render(request, "athletes/my_leggings.html", {
        "runner": runner, "form": form, "leggings": runner.leggings.filter(owner=request.user),
        "station": stations.first(), **extra}, status=status)


@login_required
@require_POST
def home_station_create(request: HttpRequest) -> HttpResponse:
    """Her home station: its token is shown once, in this response."""
    runner = _runner_of(request)
    if made_in_last_day(IngestStation.objects.filter(coach=request.user, home=True)) >= HOME_STATIONS_A_DAY:
        messages.error(request, f"At most {HOME_STATIONS_A_DAY} new home station tokens a day: use the "
                                "last one, or try again tomorrow.")
        return _my_leggings_page(request, runner, LeggingsForm(owner=request.user), status=400)
    for old in managed_stations(request.user).filter(home=True).active():
        revoke_station(old)  # one home station at a time: a new token replaces the old
    station, token = IngestStation.new(name=f"{runner.display_name}'s home station", coach=request.user)
    IngestStation.objects.filter(pk=station.pk).update(home=True)
    audit_record(Kind.STATION_CREATED, request=request, target=f"home station {station.pk}")
    return _my_leggings_page(request, runner, LeggingsForm(owner=request.user), new_token=token)


@login_required
@require_POST
def home_station_revoke(request: HttpRequest, station_id: int) -> HttpResponse:
    _runner_of(request)
    station = get_object_or_404(managed_stations(request.user).filter(home=True), pk=station_id)
    revoke_station(station)
    audit_record(Kind.TOKEN_REVOKED, request=request, target=f"home station {station.pk}")
    messages.success(request, "Home station token revoked.")
    return redirect("my_leggings")


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    runner = getattr(request.user, "runner", None)
    if runner is None:
        raise PermissionDenied("No runner profile.")
    form = RunnerProfileForm(request.POST or None, instance=runner)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("runner_home")
    return render(request, "athletes/profile_edit.html", {"form": form})


@login_required
def runner_detail(request: HttpRequest, runner_id: int) -> HttpResponse:
    runner = get_object_or_404(visible_runners(request.user), pk=runner_id)
    sessions = [(s, summarize(s)) for s in visible_sessions(request.user).filter(runner=runner)]
    can_edit_zones = coached_runners(request.user).filter(pk=runner.pk).exists()
    return render(request, "athletes/runner_detail.html",
                  {"runner": runner, "sessions": sessions, "can_edit_zones": can_edit_zones})


@coach_required
def coach_home(request: HttpRequest) -> HttpResponse:
    form = SquadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            squad = form.save()
            squad.coaches.add(request.user)
        messages.success(request, f"Squad {squad.name} created.")
        return redirect("squad_detail", squad_id=squad.pk)
    squads = coached_squads(request.user).prefetch_related("members")
    return render(request, "athletes/coach_home.html", {"squads": squads, "form": form})


def _squad_context(request: HttpRequest, squad: Squad, **forms) -> dict:
    members = squad.members.select_related("user").prefetch_related("leggings")
    context = {
        "squad": squad,
        "members": members,
        "invitations": squad.invitations.pending(),
        "stations": managed_stations(request.user).filter(coach__in=squad.coaches.all()),
        "invite_form": InviteForm(),
        "station_form": StationForm(coach=request.user),
        "assign_form": AssignLeggingsForm(
            leggings_qs=managed_leggings(request.user), runner_qs=members
        ),
        "leggings_form": SquadLeggingsForm(runner_qs=members, owner=request.user),
    }
    context.update(forms)
    return context


@coach_required
def squad_detail(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    return render(request, "athletes/squad_detail.html", _squad_context(request, squad))


@coach_required
@require_POST
def squad_invite(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        context = _squad_context(request, squad, invite_form=form)
        return render(request, "athletes/squad_detail.html", context, status=400)
    email = form.cleaned_data["email"]
    try:
        services.invitation_send(squad=squad, email=email, invited_by=request.user,
                                 base_url=request.build_absolute_uri("/")[:-1])
        messages.success(request, f"Invitation sent to {email}.")
    except services.MailNotSent as error:  # the invitation stands: the coach passes the link on
        messages.warning(request, f"The mail to {email} could not be sent ({error}). Give them this "
                                  f"link yourself; it joins only the account of {email}: {error.link}")
    audit_record(Kind.INVITATION_SENT, request=request, squad=squad, target=email)
    return redirect("squad_detail", squad_id=squad.pk)


@coach_required
@require_POST
def invitation_cancel(request: HttpRequest, squad_id: int, invitation_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    get_object_or_404(squad.invitations.pending(), pk=invitation_id).delete()
    messages.success(request, "Invitation withdrawn.")
    return redirect("squad_detail", squad_id=squad.pk)


@coach_required
@require_POST
def squad_remove_runner(request: HttpRequest, squad_id: int, runner_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    runner = get_object_or_404(squad.members.all(), pk=runner_id)
    services.membership_remove(squad=squad, runner=runner)
    audit_record(Kind.RUNNER_REMOVED, request=request, squad=squad, target=runner.display_name)
    messages.success(request, f"{runner} removed from {squad}.")
    return redirect("squad_detail", squad_id=squad.pk)


@coach_required
@require_POST
def squad_assign_leggings(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    form = AssignLeggingsForm(
        request.POST,
        leggings_qs=managed_leggings(request.user),
        runner_qs=squad.members.all(),
    )
    if not form.is_valid():
        context = _squad_context(request, squad, assign_form=form)
        return render(request, "athletes/squad_detail.html", context, status=400)
    services.leggings_assign(leggings=form.cleaned_data["leggings"], runner=form.cleaned_data["runner"])
    messages.success(request, "Leggings assignment saved.")
    return redirect("squad_detail", squad_id=squad.pk)


@coach_required
@require_POST
def squad_register_leggings(request: HttpRequest, squad_id: int) -> HttpResponse:
    """A new pair from its box, owned by this coach (so the coach's stations stream it)."""
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    form = SquadLeggingsForm(request.POST, runner_qs=squad.members.all(), owner=request.user)
    if not form.is_valid():
        context = _squad_context(request, squad, leggings_form=form)
        return render(request, "athletes/squad_detail.html", context, status=400)
    _register_leggings(request, form, squad)
    return redirect("squad_detail", squad_id=squad.pk)


@coach_required
@require_POST
def station_create(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    form = StationForm(request.POST, coach=request.user)
    if not form.is_valid():
        context = _squad_context(request, squad, station_form=form)
        return render(request, "athletes/squad_detail.html", context, status=400)
    station, token = IngestStation.new(name=form.cleaned_data["name"], coach=request.user)
    audit_record(Kind.STATION_CREATED, request=request, squad=squad, target=f"station {station.name}")
    # The token is rendered once, in this response, and never again.
    context = _squad_context(request, squad, new_token=token, new_station=station)
    return render(request, "athletes/squad_detail.html", context)


@coach_required
@require_POST
def station_revoke(request: HttpRequest, squad_id: int, station_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    station = get_object_or_404(managed_stations(request.user), pk=station_id)
    revoke_station(station)
    audit_record(Kind.TOKEN_REVOKED, request=request, squad=squad, target=f"station {station.name}")
    messages.success(request, f"Token of {station} revoked.")
    return redirect("squad_detail", squad_id=squad.pk)


@login_required
@require_POST
def squad_leave(request: HttpRequest, squad_id: int) -> HttpResponse:
    runner = getattr(request.user, "runner", None)
    if runner is None:
        raise PermissionDenied("No runner profile.")
    squad = get_object_or_404(runner.squads.all(), pk=squad_id)
    services.membership_remove(squad=squad, runner=runner)
    audit_record(Kind.RUNNER_LEFT, request=request, squad=squad, target=runner.display_name)
    messages.success(request, f"You left {squad}.")
    return redirect("runner_home")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Join a squad through an emailed link: as the signed-in account holding the invited address,
    or as a new account created for that address. Anyone else holding the link is told so."""
    invitation = Invitation.objects.filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_usable:
        return render(request, "athletes/invitation_invalid.html", status=410)
    if request.user.is_authenticated and not services.invitation_is_for(invitation, request.user):
        return render(request, "athletes/invitation_wrong_account.html",
                      {"invitation": invitation, "sent_to": _masked(invitation.email)}, status=403)
    signup_form = _signup_form(invitation)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                services.invitation_accept(invitation=invitation, user=request.user)
                audit_record(Kind.INVITATION_ACCEPTED, request=request, squad=invitation.squad,
                             target=invitation.email)
                messages.success(request, f"Welcome to {invitation.squad}.")
                return redirect("runner_home")
            signup_form = _signup_form(invitation, request.POST)
            if signup_form.is_valid():
                with transaction.atomic():
                    runner: RunnerProfile = services.runner_signup(**signup_form.cleaned_data)
                    services.invitation_accept(invitation=invitation, user=runner.user)
                login(request, runner.user, backend="django.contrib.auth.backends.ModelBackend")
                audit_record(Kind.INVITATION_ACCEPTED, request=request, squad=invitation.squad,
                             target=invitation.email)
                messages.success(request, f"Welcome to {invitation.squad}.")
                return redirect("runner_home")
        except services.InvitationUnavailable:
            return render(request, "athletes/invitation_invalid.html", status=410)
    return render(
        request,
        "athletes/invitation_accept.html",
        {"invitation": invitation, "signup_form": signup_form, "token": token},
    )


def _signup_form(invitation: Invitation, data=None) -> RunnerSignupForm:
    """The sign-up form for an invitation: the account gets the invited address, whatever is posted."""
    form = RunnerSignupForm(data, initial={"email": invitation.email})
    form.fields["email"].disabled = True
    return form


def _masked(email: str) -> str:
    """r•••@example.com: enough for its owner to recognise, not a list of addresses for link holders."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}"


@coach_required
def runner_zones(request: HttpRequest, runner_id: int) -> HttpResponse:
    """A coach sets a runner's target zones per pace band; every change is kept as history."""
    runner = get_object_or_404(coached_runners(request.user), pk=runner_id)
    table = zone_table_for(runner)
    band = request.GET.get("band") if request.GET.get("band") in PACE_BANDS else "steady"
    metric = request.GET.get("metric") if request.GET.get("metric") == "knee_elevation" else "kickback"
    low, high = table.band(band)[metric]
    form = ZoneForm(request.POST or None, initial={"band": band, "metric": metric, "low": low, "high": high})
    if request.method == "POST" and form.is_valid():
        ZoneOverride.objects.create(runner=runner, set_by=request.user, **form.cleaned_data)
        data = form.cleaned_data
        audit_record(Kind.ZONES_CHANGED, request=request,
                     squad=coached_squads(request.user).filter(members=runner).first(),
                     target=f"{runner.display_name}: {data['metric']} {data['band']} "
                            f"{data['low']:g}–{data['high']:g}")
        transaction.on_commit(lambda: services.announce_zones(runner))
        messages.success(request, "Zone saved: live boards show it now; strides use it from the next one on.")
        return redirect("runner_zones", runner_id=runner.pk)
    bands = [(band, table.band(band)) for band in PACE_BANDS]
    history = runner.zone_overrides.select_related("set_by")[:50]
    return render(request, "athletes/runner_zones.html",
                  {"runner": runner, "bands": bands, "form": form, "history": history,
                   "zones": table.as_json()},
                  status=400 if form.errors else 200)
