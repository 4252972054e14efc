from __future__ import annotations

from django import forms

from metrics.core import RecordingError
from sessions.uploads import MAX_BYTES, PRECHECK_BYTES, check_start


class UploadForm(forms.Form):
    """A recording posted whole (without script; the page's script sends parts instead)."""

    file = forms.FileField(label="Recorded CSV (SPEC §4), plain or gzip-compressed (.csv.gz)")
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 2**20} MB (compress it: "
                                        ".csv.gz).")
        head = upload.read(PRECHECK_BYTES)
        upload.seek(0)
        try:
            check_start(head, whole=len(head) == upload.size)
        except RecordingError as error:
            raise forms.ValidationError(str(error)) from None
        return upload
