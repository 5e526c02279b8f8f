"""The clinic app's models (tenant schema), one module per area; this package only re-exports.

Moving a model between these modules changes no migration (the app label stays "clinic").
"""

from .catalogue import Service, ServiceCategory, ServiceQuerySet
from .people import Patient, PatientQuerySet, Practitioner, PractitionerQuerySet
from .agenda import WEEKDAYS, Appointment, AttendanceVia, InvalidTransition, AppointmentQuerySet, BookingSettings, TimeOff, WorkingHours
from .ledger import CashClose, PatientPayment, PaymentAttempt, Refund
from .inbox import ContactMessage
from .rooms import Equipment, Room
from .series import AppointmentSeries
from .invoicing import Invoice, InvoiceLine, InvoiceSeries, InvoicingSettings
from .plans import Estimate, EstimateInstalment, EstimateLine, PlanItem, TreatmentPlan
from .suppliers import Supplier
from .notices import NoticePreference, NoticeRead, NoticeSummarySent
from .security import SecuritySettings
from .costs import Expense, ExpenseCategory, PayAgreement, PayStatement, PayStatementLine, RecurringExpense

__all__ = [
    "Appointment", "AppointmentQuerySet", "Expense", "ExpenseCategory", "PayAgreement", "PayStatement", "PayStatementLine", "RecurringExpense", "AttendanceVia", "Estimate", "EstimateInstalment", "EstimateLine", "PlanItem", "TreatmentPlan", "CashClose", "AppointmentSeries", "Invoice", "InvoiceLine", "NoticePreference", "NoticeRead", "NoticeSummarySent", "InvoiceSeries", "InvoicingSettings", "Equipment", "Room", "InvalidTransition", "BookingSettings", "ContactMessage", "Patient", "PatientPayment", "PatientQuerySet", "PaymentAttempt",
    "Practitioner", "PractitionerQuerySet", "Refund", "SecuritySettings", "Service", "ServiceCategory", "ServiceQuerySet", "Supplier", "TimeOff", "WEEKDAYS",
    "WorkingHours",
]
