"""Background jobs, stored in the database queue and run by `manage.py db_worker`.
They take ids, never personal data, so the queue holds nothing sensitive."""

from django_tasks import task

from . import notifications


@task()
def send_acknowledgement(request_id):
    from .models import ConsultationRequest

    notifications.send_acknowledgement(ConsultationRequest.objects.get(pk=request_id))


@task()
def notify_clinic(request_id, site_url=""):
    from .models import ConsultationRequest

    notifications.notify_clinic(ConsultationRequest.objects.get(pk=request_id), site_url=site_url)
