from django import template
from django.utils.translation import gettext as _

from .. import upi

register = template.Library()


@register.simple_tag
def upi_pay(clinic, appointment, fee):
    """Pay by UPI, for a confirmed appointment with a fee where the clinic has a
    UPI ID: {"link", "qr"}, else None. From the page's own clinic profile."""
    if not appointment.is_confirmed:
        return None
    link = upi.pay_link(clinic, fee, appointment.consultation.reference)
    if not link:
        return None
    title = _("UPI QR code: ₹%(fee)s to %(clinic)s") % {"fee": fee, "clinic": clinic.name}
    return {"link": link, "qr": upi.qr_svg(link, title=title)}
