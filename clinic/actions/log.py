"""Labels of the clinic's audit-log actions, shown in Wagtail's history and site-history report."""

from django.utils.translation import gettext_lazy as _

LOG_ACTIONS = {
    "clinic.appointment.book": (_("Book appointment"), _("Appointment booked")),
    "clinic.appointment.reschedule": (_("Move appointment"), _("Appointment moved")),
    "clinic.appointment.cancel": (_("Cancel appointment"), _("Appointment cancelled")),
    "clinic.appointment.confirm": (_("Confirm appointment"), _("Appointment confirmed")),
    "clinic.appointment.arrive": (_("Check in"), _("Patient checked in")),
    "clinic.appointment.undo": (_("Undo check-in"), _("Appointment back to booked")),
    "clinic.appointment.in_room": (_("Call in"), _("Patient in the room")),
    "clinic.appointment.complete": (_("Complete appointment"), _("Appointment completed")),
    "clinic.appointment.no_show": (_("Mark no-show"), _("Marked as no-show")),
    "clinic.appointment.hold_expired": (_("Release unpaid hold"), _("Unpaid hold released")),
    "clinic.appointment.attendance": (_("Record the patient's confirmation"), _("Patient confirmed they will come")),
    "clinic.payment.record": (_("Record payment"), _("Payment recorded")),
    "clinic.payment.online": (_("Online payment"), _("Online payment received")),
    "clinic.refund.request": (_("Request refund"), _("Refund requested")),
    "clinic.patient.register": (_("Patient signs up"), _("Patient record created from the website")),
    "clinic.patient.update_own": (_("Patient updates their details"), _("Details updated by the patient")),
    "clinic.staff.every_appointment": (_("Change appointment rights"), _("Right to change every appointment changed")),
    "clinic.staff.two_factor_reset": (_("Switch off two-factor sign-in"), _("Two-factor sign-in switched off by a clinic admin (lost phone)")),
    "clinic.patient.create": (_("Create patient"), _("Patient created at the desk")),
    "clinic.team.hours": (_("Set weekly hours"), _("Weekly hours changed")),
    "clinic.team.time_off": (_("Add time off"), _("Time off added")),
    "clinic.team.time_off_removed": (_("Remove time off"), _("Time off removed")),
    "clinic.series.book": (_("Book a series"), _("Series of appointments booked")),
    "clinic.contact.receive": (_("Contact message"), _("Message received from the website")),
    "clinic.patient.archive": (_("Archive patient"), _("Patient archived")),
    "clinic.patient.restore": (_("Restore patient"), _("Patient restored from the archive")),
    "clinic.patient.merge": (_("Merge patients"), _("Duplicate patient merged into this one")),
    "clinic.cash.close": (_("Close the day's cash"), _("Day's cash closed")),
    "clinic.refund.staff": (_("Refund a payment"), _("Payment refunded by staff")),
    "clinic.invoice.issue": (_("Issue invoice"), _("Invoice issued")),
    "clinic.invoice.credit": (_("Issue credit note"), _("Credit note issued")),
    "clinic.plan.create": (_("Create treatment plan"), _("Treatment plan created")),
    "clinic.plan.item_add": (_("Add a treatment to a plan"), _("Treatment added to the plan")),
    "clinic.plan.item_change": (_("Change a plan's treatment"), _("Plan's treatment changed")),
    "clinic.plan.item_drop": (_("Take a treatment out of a plan"), _("Treatment taken out of the plan")),
    "clinic.plan.present": (_("Present an estimate"), _("Estimate presented")),
    "clinic.plan.cancel": (_("Cancel treatment plan"), _("Treatment plan cancelled")),
    "clinic.plan.book": (_("Book a plan's treatments"), _("Plan's treatments booked")),
    "clinic.estimate.accept": (_("Accept an estimate"), _("Estimate accepted")),
    "clinic.estimate.reject": (_("Reject an estimate"), _("Estimate rejected")),
    "records.history.change": (_("Change medical history"), _("Medical history changed")),
    "records.visit.create": (_("Write visit"), _("Visit written")),
    "records.visit.change": (_("Change visit"), _("Visit changed and signed")),
    "records.visit.addendum": (_("Add addendum"), _("Addendum added to a visit")),
    "records.odontogram.save": (_("Save odontogram"), _("New odontogram version")),
    "records.document.upload": (_("Upload document"), _("Document added to the record")),
    "records.document.share": (_("Share document"), _("Document sharing with the patient changed")),
}


def register_clinic_log_actions(actions):
    for action, (label, message) in LOG_ACTIONS.items():
        actions.register_action(action, label, message)
