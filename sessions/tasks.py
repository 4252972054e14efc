"""Background tasks (huey: settings.HUEY; a worker runs them, `manage.py run_huey`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sessions import uploads


@db_task()
def process_upload(upload_id: int) -> None:
    uploads.process(upload_id)


@db_periodic_task(crontab(minute="*/10"))
def remove_abandoned_uploads() -> None:
    """Every 10 minutes: files whose sending stopped long ago go, with their sessions."""
    uploads.remove_abandoned()
