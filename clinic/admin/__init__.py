"""The clinic's staff admin UI (Wagtail viewsets and views); clinic/wagtail_hooks.py only registers them.

Not Django's admin: admin.autodiscover() imports this package, so it stays free of side effects.
"""
