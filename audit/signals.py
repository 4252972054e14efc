"""Failed logins are security events too (django-axes counts them for lock-outs; this keeps them)."""

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from audit.models import AuditEvent


@receiver(user_login_failed)
def login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    from audit.services import audit_record

    audit_record(AuditEvent.Kind.LOGIN_FAILED, request=request, target=str(credentials.get("username", "")))
