"""Notifications inside the staff admin (issue 12, item 4): the bell, its list, the summary.

Design (why it is built this way):

- A notice is computed, not stored. Each kind has a *provider* that reads the live
  data and yields :class:`Notice` objects, so a notice disappears by itself once the
  thing is resolved (the patient confirmed, the invoice was paid), and no job has to
  keep a copy in step with the data.
- Every notice has a stable ``key`` (``"<kind>:<object id>"``). What a person did with
  it is the only thing stored: ``NoticeRead`` (user, key, read_at) in the clinic's
  schema. Another user still sees it unread.
- Who sees what is declared per kind (``roles``); a provider receives the
  :class:`Viewer` and narrows to the viewer's own things where the kind says so
  (a practitioner sees their own appointments and estimates).
- The bell's count costs a constant number of queries (one per provider, one for the
  read keys, two for the viewer), and is cached per user for a minute; marking read
  clears that user's cache.

Plugging in a kind (inventory's low stock, expenses due) is a few lines in the app's
``ready()`` (or in :data:`PROVIDER_MODULES`)::

    from clinic.notices import Notice, register_provider
    from clinic.roles import Role

    def low_stock(viewer):
        for item in queries.low_stock():
            yield Notice(key=f"low-stock:{item.pk}", text=..., url=reverse(...), at=...)

    register_provider("low-stock", label=_("Low stock"), roles={Role.CLINIC_ADMIN, Role.RECEPTIONIST}, collect=low_stock, order=50)
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from .roles import Role

CACHE_SECONDS = 60
KEY_MAX = 120
# Modules whose import registers providers (each calls register_provider at import). An
# app may instead call register_provider from its own AppConfig.ready().
PROVIDER_MODULES = ["clinic.notice_providers"]


@dataclass(frozen=True)
class Notice:
    """One thing that needs someone's attention now.

    ``key`` is stable for as long as the thing needs attention (``"invoice-overdue:42"``),
    at most 120 characters; ``text`` is in the active language, with times in the clinic's
    zone; ``url`` is a path on the clinic's host (the admin page of the thing); ``at`` is
    the time the list sorts by (newest first). ``kind`` is filled in by the registry."""

    key: str
    text: str
    url: str
    at: datetime
    kind: str = ""


@dataclass(frozen=True)
class Viewer:
    """The staff member notices are computed for: their roles and their practitioner row
    (``practitioner_id`` is None for staff who see no agenda of their own)."""

    user: object
    roles: frozenset
    practitioner_id: int | None = None

    @property
    def sees_everything(self) -> bool:
        return Role.CLINIC_ADMIN in self.roles

    @property
    def own_only(self) -> bool:
        """Sees only their own appointments and estimates: a practitioner who is neither a
        clinic admin nor reception."""
        return not (self.roles & {Role.CLINIC_ADMIN, Role.RECEPTIONIST})


@dataclass(frozen=True)
class Provider:
    kind: str
    label: object  # a lazy translated string: the heading of the group in the list and the e-mail
    roles: frozenset
    collect: Callable[[Viewer], Iterable[Notice]]
    order: int = 100


_providers: dict[str, Provider] = {}
_loaded = False


def register_provider(kind: str, *, label, roles: Iterable[Role], collect: Callable[[Viewer], Iterable[Notice]], order: int = 100) -> Provider:
    """Add (or replace: calling it twice is harmless) the provider of one kind of notice.

    ``collect(viewer)`` yields the notices of this kind the viewer may see, in a constant
    number of queries (the bell runs every provider on a page load once a minute per user);
    it is only called for viewers holding one of ``roles`` (clinic admins always see
    everything). Keys must start with the kind or otherwise be unique across kinds."""
    provider = Provider(kind=kind, label=label, roles=frozenset(Role(r) for r in roles) | {Role.CLINIC_ADMIN}, collect=collect, order=order)
    _providers[kind] = provider
    return provider


def providers() -> list[Provider]:
    global _loaded
    if not _loaded:
        for path in PROVIDER_MODULES:
            import_module(path)
        _loaded = True
    return sorted(_providers.values(), key=lambda p: (p.order, p.kind))


def viewer_for(user) -> Viewer:
    """The viewer of ``user`` in one query (their groups' names and their practitioner row).
    A superuser is a clinic admin here; an inactive or anonymous user sees nothing."""
    from django.contrib.auth import get_user_model
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import OuterRef, Subquery

    from .models import Practitioner

    if not (user.is_authenticated and user.is_active):
        return Viewer(user=user, roles=frozenset())
    names, practitioner_id = get_user_model().objects.filter(pk=user.pk).annotate(
        names=ArrayAgg("groups__name", default=[]),
        own_practitioner=Subquery(Practitioner.objects.filter(user=OuterRef("pk")).values("pk")[:1]),
    ).values_list("names", "own_practitioner").get()
    roles = {role for role in Role if role.value in set(names)}
    if user.is_superuser:
        roles.add(Role.CLINIC_ADMIN)
    return Viewer(user=user, roles=frozenset(roles), practitioner_id=practitioner_id)


def notices_for(viewer: Viewer) -> list[tuple[Provider, list[Notice]]]:
    """Each kind the viewer may see, with its notices (newest first); kinds with none left out."""
    groups = []
    for provider in providers():
        if not (viewer.roles & provider.roles):
            continue
        items = [Notice(key=n.key, text=n.text, url=n.url, at=n.at, kind=provider.kind) for n in provider.collect(viewer)]
        if items:
            groups.append((provider, sorted(items, key=lambda n: n.at, reverse=True)))
    return groups


def all_notices(viewer: Viewer) -> list[Notice]:
    return [notice for _provider, items in notices_for(viewer) for notice in items]


def read_keys(user, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    from .models import NoticeRead

    return set(NoticeRead.objects.filter(user=user, key__in=keys).values_list("key", flat=True))


def _cache_key(user) -> str:
    # The cache key function adds the schema (tenancy rule 3): user ids repeat across clinics.
    return f"clinic-notices-unread:{user.pk}"


def unread_count(user) -> int:
    """The bell's number: unread notices ``user`` may see. Cached a minute per user."""
    if not (user.is_authenticated and user.is_active):
        return 0
    cached = cache.get(_cache_key(user))
    if cached is not None:
        return cached
    keys = {n.key for n in all_notices(viewer_for(user))}
    count = len(keys - read_keys(user, keys))
    cache.set(_cache_key(user), count, CACHE_SECONDS)
    return count


def forget_count(user) -> None:
    cache.delete(_cache_key(user))


def mark_read(user, keys: Iterable[str]) -> int:
    """Record that ``user`` read these notices (keys they can see now; the caller checks).
    Writes ``NoticeRead`` rows (once per key: a second click changes nothing) and clears
    the user's cached count. Returns how many were newly marked."""
    from .models import NoticeRead

    now = timezone.now()
    rows = [NoticeRead(user=user, key=key, read_at=now) for key in dict.fromkeys(keys) if 0 < len(key) <= KEY_MAX]
    with transaction.atomic():
        before = NoticeRead.objects.filter(user=user, key__in=[r.key for r in rows]).count()
        NoticeRead.objects.bulk_create(rows, ignore_conflicts=True)
    forget_count(user)
    return len(rows) - before


def prune_reads(*, older_than_days: int = 30) -> int:
    """Forget read marks of notices that no longer exist (nobody can see them any more),
    once they are a month old. A clinic admin sees every kind, so their view is the set
    of notices there are. Returns how many rows were deleted."""
    from datetime import timedelta

    from .models import NoticeRead

    current = {n.key for n in all_notices(Viewer(user=None, roles=frozenset({Role.CLINIC_ADMIN})))}
    stale = NoticeRead.objects.filter(read_at__lt=timezone.now() - timedelta(days=older_than_days)).exclude(key__in=current)
    deleted, _detail = stale.delete()
    return deleted


@dataclass
class Listing:
    """What the notifications page shows: unread first, then read, newest first in each."""

    rows: list = field(default_factory=list)
    unread: int = 0


def listing_for(user) -> Listing:
    notices = all_notices(viewer_for(user))
    read = read_keys(user, {n.key for n in notices})
    labels = {p.kind: p.label for p in providers()}
    rows = [{"notice": n, "label": labels.get(n.kind, ""), "read": n.key in read} for n in notices]
    rows.sort(key=lambda r: (r["read"], -r["notice"].at.timestamp()))
    return Listing(rows=rows, unread=sum(1 for r in rows if not r["read"]))


def wants_summary(user) -> bool:
    from .models import NoticePreference

    preference = NoticePreference.objects.filter(user=user).first()
    return preference is None or preference.daily_summary


def set_summary_preference(user, *, daily_summary: bool) -> None:
    """Store the user's choice (one row per user; a repeated or concurrent save is fine)."""
    from .models import NoticePreference

    try:
        with transaction.atomic():
            NoticePreference.objects.update_or_create(user=user, defaults={"daily_summary": daily_summary})
    except IntegrityError:  # two saves at once: the other inserted the row first
        NoticePreference.objects.filter(user=user).update(daily_summary=daily_summary)
