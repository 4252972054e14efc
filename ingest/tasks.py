"""Periodic work for the huey worker (`manage.py run_huey`): live sessions whose agent went away
are closed on time, not when an agent next connects."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ingest import services


@db_periodic_task(crontab(minute="*"))
def close_idle_sessions() -> None:
    """Every minute: close live sessions that received nothing for IDLE_CLOSE_S."""
    services.close_idle_sessions()
