"""Every change to clinic data is one action (ARCHITECTURE.md §1): see base.ClinicAction.

One module per area; classes are named VerbNoun. Views, admin forms, patient pages,
jobs and webhooks call these; nothing writes clinic data around them.
"""

from .appointments import (
    BookAppointment, BookingError, CallIn, CancelAppointment, CheckIn, CompleteAppointment, ConfirmAppointment, MarkNoShow,
    RefundUnavailable, ReleaseExpiredHolds, RescheduleAppointment, SlotTaken, UndoCheckIn, can_change, change_status, may_change,
)
from .base import ActionError, ActionPermissionDenied, ClinicAction
from .payments import RecordDeskPayment, RecordOnlinePayment

__all__ = [
    "ActionError", "ActionPermissionDenied", "BookAppointment", "BookingError", "CallIn", "CancelAppointment", "CheckIn", "ClinicAction",
    "CompleteAppointment", "ConfirmAppointment", "MarkNoShow", "RecordDeskPayment", "RecordOnlinePayment", "RefundUnavailable",
    "ReleaseExpiredHolds", "RescheduleAppointment", "SlotTaken", "UndoCheckIn", "can_change", "change_status", "may_change",
]
