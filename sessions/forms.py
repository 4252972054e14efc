from __future__ import annotations

import io
import zlib

import numpy as np
from django import forms

from metrics.core import RecordingError
from metrics.core.recording import read_blocks
from sessions.uploads import MIN_SAMPLES

MAX_UPLOAD_BYTES = 400 * 1024 * 1024  # read a block at a time: a 2-hour 200 Hz CSV is 300 MB
PRECHECK_BYTES = 256 * 1024  # the start of the file, read while the runner waits


class UploadForm(forms.Form):
    file = forms.FileField(label="Recorded CSV (SPEC §4), plain or gzip-compressed (.csv.gz)")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_file(self):
        """Size, and the start of the file (header, first rows, times): most bad files are told
        at once; the rest is read in the background, where a fault fails the session with its line."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 400 MB (compress it: .csv.gz).")
        head = upload.read(PRECHECK_BYTES)
        upload.seek(0)
        whole = len(head) == upload.size
        if head[:2] == b"\x1f\x8b":
            try:
                head = zlib.decompressobj(wbits=31).decompress(head, 4 * PRECHECK_BYTES)
            except zlib.error:
                raise forms.ValidationError("The file looks gzip-compressed but is not.") from None
            whole = False
        if not whole:
            head = head[: head.rfind(b"\n") + 1] or head  # whole lines only
        try:
            imu = np.concatenate([block.imu for block, _ in read_blocks(io.BytesIO(head))])
        except RecordingError as error:
            raise forms.ValidationError(str(error)) from None
        complete = np.isfinite(imu).all(axis=1)
        if whole and np.count_nonzero(complete) < MIN_SAMPLES:
            raise forms.ValidationError(
                f"Only {np.count_nonzero(complete)} rows have all 24 IMU values as numbers (the first "
                f"without: line {int(np.argmin(complete)) + 2}); a session needs at least {MIN_SAMPLES}.")
        return upload
