from __future__ import annotations

from django import forms

from metrics.core import RecordingError
from sessions.uploads import PRECHECK_BYTES, WHOLE_MAX_BYTES, check_start


class UploadForm(forms.Form):
    """A recording posted whole (without script; the page's script sends parts instead)."""

    file = forms.FileField(label="Recorded CSV (SPEC §4), plain or gzip-compressed (.csv.gz)")
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > WHOLE_MAX_BYTES:  # the page's script sends larger files in parts
            limit = WHOLE_MAX_BYTES // 2**20
            raise forms.ValidationError(f"Without script, files up to {limit} MB: compress it (.csv.gz), "
                                        "or allow this page's script.")
        head = upload.read(PRECHECK_BYTES)
        upload.seek(0)
        try:
            check_start(head, whole=len(head) == upload.size)
        except RecordingError as error:
            raise forms.ValidationError(str(error)) from None
        return upload
