from __future__ import annotations

import io

import numpy as np
from django import forms

from metrics.core import RecordingError, read_csv

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MIN_SAMPLES = 200


class UploadForm(forms.Form):
    file = forms.FileField(label="Recorded CSV (SPEC §4)")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 200 MB.")
        try:
            text = io.TextIOWrapper(upload.file, encoding="utf-8", newline="")
            recording = read_csv(text)
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        except RecordingError as error:
            raise forms.ValidationError(str(error)) from None
        complete = np.isfinite(recording.imu).all(axis=1)
        if np.count_nonzero(complete) < MIN_SAMPLES:
            first = int(np.argmin(complete)) + 2
            raise forms.ValidationError(
                f"Only {np.count_nonzero(complete)} rows have all 24 IMU values as numbers (the first "
                f"without: line {first}); a session needs at least {MIN_SAMPLES}.")
        self.cleaned_data["recording"] = recording
        return upload
