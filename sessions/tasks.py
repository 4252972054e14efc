"""Background tasks (huey: settings.HUEY; a worker runs them, `manage.py run_huey`)."""

from huey.contrib.djhuey import db_task

from sessions import uploads


@db_task()
def process_upload(upload_id: int) -> None:
    uploads.process(upload_id)
