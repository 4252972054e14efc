from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from athletes.models import RunnerProfile, Squad
from stridesite.limits import MADE_A_DAY, made_in_last_day


class SquadForm(forms.ModelForm):
    class Meta:
        model = Squad
        fields = ["name"]


class InviteForm(forms.Form):
    email = forms.EmailField(label="Runner's email")


class LeggingsForm(forms.ModelForm):
    """A pair registered from its box: serial and BLE identity (by a runner for herself, or by a
    coach for the squad), owned by `owner`. Another account's registration of the same serial
    never blocks it (models.Leggings); the owner's own earlier one does."""

    class Meta:
        from ingest.models import Leggings

        model = Leggings
        fields = ["serial", "ble_name", "ble_address"]
        labels = {"ble_name": "BLE name", "ble_address": "BLE address"}

    MAX_PAIRS = 300  # a club's whole stock; bounds what one account can make

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.owner = owner

    def clean(self) -> dict:
        if self._meta.model.objects.filter(owner=self.instance.owner).count() >= self.MAX_PAIRS:
            raise forms.ValidationError(f"An account holds at most {self.MAX_PAIRS} pairs of leggings.")
        return super().clean()

    def clean_serial(self) -> str:
        return self._new("serial", self.cleaned_data["serial"])

    def clean_ble_address(self) -> str:
        return self._new("ble_address", self.cleaned_data["ble_address"].upper())

    def _new(self, field: str, value: str) -> str:
        if self._meta.model.objects.filter(owner=self.instance.owner, **{field: value}).exists():
            named = {"serial": "serial", "ble_address": "BLE address"}[field]
            raise forms.ValidationError(f"You have registered leggings with this {named} already.")
        return value


class SquadLeggingsForm(LeggingsForm):
    """A coach registers a pair and may hand it to a runner of the squad at once."""

    runner = forms.ModelChoiceField(queryset=None, required=False, empty_label="— unassigned —")

    class Meta(LeggingsForm.Meta):
        fields = [*LeggingsForm.Meta.fields, "runner"]

    def __init__(self, *args, runner_qs, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["runner"].queryset = runner_qs


class StationForm(forms.Form):
    name = forms.CharField(max_length=80, label="Station name")

    MAX_ACTIVE = 30  # stations a coach's tokens open at once (a track has a handful)

    def __init__(self, *args, coach, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.coach = coach

    def clean(self) -> dict:
        from ingest.models import IngestStation

        mine = IngestStation.objects.filter(coach=self.coach)
        if mine.active().count() >= self.MAX_ACTIVE:
            raise forms.ValidationError(f"At most {self.MAX_ACTIVE} stations at once: revoke one you no "
                                        "longer use first.")
        if made_in_last_day(mine) >= MADE_A_DAY:
            raise forms.ValidationError(f"At most {MADE_A_DAY} new stations a day: try again tomorrow.")
        return super().clean()


class AssignLeggingsForm(forms.Form):
    """Which runner wears which leggings. Taking a pair from the runner who has it needs the
    coach to say so (`take`): the form says whose they are and asks again."""

    leggings = forms.ModelChoiceField(queryset=None)
    runner = forms.ModelChoiceField(queryset=None, required=False, empty_label="— unassigned —")
    take = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, leggings_qs, runner_qs, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leggings"].queryset = leggings_qs.select_related("runner")
        self.fields["leggings"].label_from_instance = lambda pair: (
            f"{pair.serial} — worn by {pair.runner.display_name}" if pair.runner else f"{pair.serial} — free")
        self.fields["runner"].queryset = runner_qs

    def clean(self) -> dict:
        data = super().clean()
        pair, runner = data.get("leggings"), data.get("runner")
        holder = pair.runner if pair is not None else None
        if holder is not None and holder != runner and not data.get("take"):
            self.data = self.data.copy()
            self.data["take"] = "on"  # the next submit of this form confirms
            whom = f"to {runner.display_name}" if runner else "back as free"
            raise forms.ValidationError(
                f"{pair.serial} is worn by {holder.display_name}. Saving again gives them {whom}: "
                f"{holder.display_name} then streams nothing until another pair is assigned.")
        return data


class RunnerSignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    display_name = forms.CharField(max_length=80)
    height_cm = forms.FloatField(min_value=100, max_value=230, label="Height (cm)")
    password = forms.CharField(widget=forms.PasswordInput)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password"):
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            try:
                validate_password(data["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class RunnerProfileForm(forms.ModelForm):
    class Meta:
        model = RunnerProfile
        fields = ["display_name", "height_cm", "thigh_cm", "shank_cm"]
        labels = {
            "height_cm": "Height (cm)",
            "thigh_cm": "Thigh length (cm, optional)",
            "shank_cm": "Shank length (cm, optional)",
        }


class ZoneForm(forms.Form):
    band = forms.ChoiceField(choices=[(b, b) for b in ("easy", "steady", "tempo", "fast", "sprint")])
    metric = forms.ChoiceField(choices=[("kickback", "kickback"), ("knee_elevation", "knee elevation")])
    low = forms.FloatField(label="Low (°)")
    high = forms.FloatField(label="High (°)")

    def clean(self) -> dict:
        from metrics.core.zones import validate_zone

        data = super().clean()
        if not self.errors:
            try:
                validate_zone(data["metric"], data["low"], data["high"])
            except ValueError as error:
                raise forms.ValidationError(str(error)) from None
        return data
