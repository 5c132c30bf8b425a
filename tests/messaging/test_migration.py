"""The outgoing emails move from bookings to messaging with their rows, and
Reception keeps its permission to see them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("bookings", "0014_appointment_lifecycle"), ("messaging", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1]]).apps


@pytest.mark.django_db(transaction=True)
def test_outgoing_emails_and_their_permission_move_to_messaging():
    executor = MigrationExecutor(connection)
    after = executor.loader.graph.leaf_nodes()
    apps = migrate(BEFORE)
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    Request = apps.get_model("bookings", "ConsultationRequest")
    consultation = Request.objects.create(
        reference="MOVE2345",
        name="Asha",
        email="asha@example.com",
        age_statement="adult",
        access_key="k" * 32,
        consented_at=timezone.now(),
        contact_by_email=True,
        consent_notice_version="2026-11",
        created=timezone.now(),
        updated=timezone.now(),
    )
    apps.get_model("bookings", "OutboundEmail").objects.create(
        kind="acknowledgement", consultation=consultation, status="sent", sent_at=timezone.now()
    )
    reception, _ = Group.objects.get_or_create(name="Reception")
    reception.permissions.add(Permission.objects.get(codename="view_outboundemail"))

    apps = migrate(after)
    message = apps.get_model("messaging", "OutgoingMessage").objects.get()
    assert (message.kind, message.channel, message.status) == ("acknowledgement", "email", "sent")
    assert message.consultation.reference == "MOVE2345"
    seen = reception.permissions.filter(codename__contains="out").values_list(
        "content_type__app_label", "codename"
    )
    assert list(seen) == [("messaging", "view_outgoingmessage")]
    assert "bookings_outboundemail" not in connection.introspection.table_names()
