"""select() builders for ticket lists: the agent queue, the API list, the portal and the benchmark.

Orders:
- "sla": nearest SLA due first (tickets without a due time last), then most urgent, then oldest id.
  NULLS LAST cannot walk a plain ascending index on SQLite, so the query is a UNION ALL of
  branches, one per (status, assignee, has-a-due-time) combination. Each branch walks its index
  range in order and stops after one page; the outer query merges a few dozen rows. That keeps
  the first page fast at 1,000,000 tickets on SQLite and PostgreSQL alike.
- "priority": most urgent first, then oldest id; branches per (status, assignee) like "sla".
- "newest" / "oldest": created_at descending / ascending, then id (the API's default is newest).
- "updated": last updated first (no index of its own: meant for filtered lists).

All support keyset pages both ways (`page_after(cursor)`, `page_before(cursor)`: the same index
walked backwards) and indexed offset pages (`page(n)`: the offset is skipped over index entries,
then only one page of rows is read).
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, exists, false, func, literal, or_, select, union_all

from app.core.errors import DomainError
from app.models import Tag, Ticket, ticket_tags
from app.models.base import utcnow
from app.support import rules
from app.support.search import document_matches, estimated_matches, ticket_ids_matching

DEFAULT_STATUSES = ("new", "open")
ORDERS = ("sla", "priority", "newest", "oldest", "updated")
BREACH_STATES = ("breached", "due_soon", "on_track", "no_sla")
DUE_SOON = timedelta(hours=1)
# Up to this many full-text hits are fetched as ids before the list query runs.
FEW_HITS = 1000


class BadCursor(DomainError):
    pass


@dataclass(frozen=True)
class Queue:
    """A filtered ticket list; build selects for one page of it or its size."""

    conditions: tuple = ()
    statuses: tuple | None = None  # None: every status
    assignees: tuple | None = None  # conditions on Ticket.assignee_id, any of which may hold
    order: str = "sla"
    after: tuple | None = field(default=None)
    before: tuple | None = field(default=None)

    # --- what callers use ----------------------------------------------------------------------

    def first_page(self, per_page=25):
        return self.page(1, per_page)

    def page(self, number=1, per_page=25):
        """Page `number` (from 1) by offset; the offset is skipped inside the index."""
        if number < 1 or per_page < 1:
            raise DomainError("Pages start at 1 and hold at least one ticket.", field="page")
        return self._select(limit=per_page, offset=(number - 1) * per_page)

    def page_after(self, cursor, per_page=25):
        """The page after the ticket a cursor (from `cursor_of`) points to."""
        key = decode_cursor(cursor, self.order) if isinstance(cursor, str) else cursor
        return replace(self, after=key, before=None)._select(limit=per_page, offset=0)

    def page_before(self, cursor, per_page=25):
        """The page before the ticket a cursor points to (a "previous" link), in list order."""
        key = decode_cursor(cursor, self.order) if isinstance(cursor, str) else cursor
        return replace(self, before=key, after=None)._select(limit=per_page, offset=0)

    def count(self):
        """A select of the number of tickets in the list."""
        return select(func.count()).select_from(Ticket).where(*self._all_conditions())

    def ids(self):
        """A select of every matching ticket id (bulk actions), in no particular order."""
        return select(Ticket.id).where(*self._all_conditions())

    # --- building ------------------------------------------------------------------------------

    def _all_conditions(self):
        conds = list(self.conditions)
        if self.statuses is not None:
            conds.append(Ticket.status.in_(self.statuses))
        if self.assignees is not None:
            conds.append(or_(*self.assignees))
        return conds

    def _branches(self):
        """(status, assignee condition) pairs; each is one ordered index range."""
        return [
            (status, assignee)
            for status in (self.statuses or rules.STATUSES)
            for assignee in (self.assignees or (None,))
        ]

    def _select(self, limit, offset):
        if self.order in PLAIN_ORDERS:
            return self._plain(limit, offset)
        return self._branched(limit, offset)

    def _cursor(self):
        """(walking backwards?, cursor key or None)."""
        return (True, self.before) if self.before is not None else (False, self.after)

    def _plain(self, limit, offset):
        key = PLAIN_ORDERS[self.order]
        backwards, cursor = self._cursor()
        walk = _flip(key) if backwards else key
        conds = self._all_conditions()
        if cursor is not None:
            conds.append(_beyond(walk, cursor))
        ids = select(Ticket.id).where(*conds).order_by(*_order_by(walk)).limit(limit).offset(offset).subquery()
        return select(Ticket).join(ids, Ticket.id == ids.c.id).order_by(*_order_by(key))

    def _segments(self):
        """(rank, condition, key) of each run of the order that one index range serves."""
        if self.order == "sla":
            return (
                (0, Ticket.due_at.is_not(None), ((Ticket.due_at, False), (Ticket.priority, True), (Ticket.id, False))),
                (1, Ticket.due_at.is_(None), ((Ticket.priority, True), (Ticket.id, False))),
            )
        return ((0, None, ((Ticket.priority, True), (Ticket.id, False))),)

    def _position(self, cursor):
        """A cursor as (segment rank, key values inside that segment)."""
        if self.order == "sla":
            due, priority, ticket_id = cursor
            return (1, (priority, ticket_id)) if due is None else (0, (due, priority, ticket_id))
        return 0, cursor

    def _branched(self, limit, offset):
        # Each branch returns at most offset+limit rows in index order; the merge picks the page.
        need = offset + limit
        backwards, cursor = self._cursor()
        position = None if cursor is None else self._position(cursor)
        parts = []
        for status, assignee in self._branches():
            base = [*self.conditions, Ticket.status == status]
            if assignee is not None:
                base.append(assignee)
            for rank, segment, key in self._segments():
                walk = _flip(key) if backwards else key
                conds = list(base) if segment is None else [*base, segment]
                if position is not None:
                    at_rank, values = position
                    if rank == at_rank:
                        conds.append(_beyond(walk, values))
                    elif (rank < at_rank) != backwards:
                        continue  # the whole segment lies on the other side of the cursor
                branch = (
                    select(Ticket.id, literal(rank).label("rank"), Ticket.due_at, Ticket.priority)
                    .where(*conds)
                    .order_by(*_order_by(walk))
                    .limit(need)
                    .subquery()
                )
                parts.append(select(branch))
        if not parts:
            return select(Ticket).where(false())
        merged = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        page = (
            select(merged).order_by(*_order_by(self._merged_key(merged, backwards)))
            .limit(limit).offset(offset).subquery()
        )
        return (
            select(Ticket)
            .join(page, Ticket.id == page.c.id)
            .order_by(*_order_by(self._merged_key(page, False)))
        )

    def _merged_key(self, rows, backwards):
        c = rows.c
        key = (((c.rank, False), (c.due_at, False)) if self.order == "sla" else ()) + (
            (c.priority, True), (c.id, False))
        return _flip(key) if backwards else key


# Orders that one index (or one sort) serves: (column, descending) pairs, the id last.
PLAIN_ORDERS = {
    "newest": ((Ticket.created_at, True), (Ticket.id, True)),
    "oldest": ((Ticket.created_at, False), (Ticket.id, False)),
    "updated": ((Ticket.updated_at, True), (Ticket.id, True)),
}


def _flip(key):
    return tuple((column, not descending) for column, descending in key)


def _order_by(key):
    return [column.desc() if descending else column.asc() for column, descending in key]


def _beyond(key, values):
    """Rows strictly after `values` in the order `key`.

    The leading `>=` (or `<=`) on the first column gives the index a range to seek to.
    """
    (column, descending), *rest = key
    value, *more = values
    past = column < value if descending else column > value
    if not rest:
        return past
    return and_(column <= value if descending else column >= value,
                or_(past, and_(column == value, _beyond(rest, more))))


# --- cursors ---------------------------------------------------------------------------------------

_TIME_CURSORS = {"newest": ("n", "created_at"), "oldest": ("o", "created_at"), "updated": ("u", "updated_at")}


def cursor_of(ticket, order="sla"):
    """An opaque, URL-safe cursor pointing at a ticket's place in a list."""
    if order in _TIME_CURSORS:
        kind, attr = _TIME_CURSORS[order]
        return f"{kind}.{_ts(getattr(ticket, attr))}.{ticket.id}"
    if order == "priority":
        return f"p.{ticket.priority}.{ticket.id}"
    due = _ts(ticket.due_at) if ticket.due_at is not None else "-"
    return f"s.{due}.{ticket.priority}.{ticket.id}"


def _ts(value):
    return value.strftime("%Y%m%dT%H%M%S%f")


def _parse_ts(raw):
    return datetime.strptime(raw, "%Y%m%dT%H%M%S%f").replace(tzinfo=timezone.utc)


def decode_cursor(cursor, order):
    try:
        kind, *parts = cursor.split(".")
        if order in _TIME_CURSORS and kind == _TIME_CURSORS[order][0] and len(parts) == 2:
            return _parse_ts(parts[0]), int(parts[1])
        if order == "priority" and kind == "p" and len(parts) == 2:
            return int(parts[0]), int(parts[1])
        if order == "sla" and kind == "s" and len(parts) == 3:
            due = None if parts[0] == "-" else _parse_ts(parts[0])
            return due, int(parts[1]), int(parts[2])
    except (ValueError, AttributeError):
        pass
    raise BadCursor("That page link is not valid any more; start from the first page.", field="cursor")


# --- builders --------------------------------------------------------------------------------------

def queue_query(
    viewer,
    *,
    statuses=None,
    priorities=None,
    assignee=None,
    group_id=None,
    tag=None,
    organization_id=None,
    requester_id=None,
    topic_id=None,
    created_from=None,
    created_to=None,
    q=None,
    breach_state=None,
    order="sla",
    now=None,
):
    """The tickets `viewer` may see that match every given filter (None: no filter).

    `statuses`/`priorities` take one value or several (priority names or 1..4); `assignee` takes
    'me', 'none', a user id, or several of those (the default view is ('none', 'me')).
    `breach_state` is 'breached' (due time passed), 'due_soon' (within an hour), 'on_track' or
    'no_sla'. Unknown values raise DomainError.
    """
    if order not in ORDERS:
        raise DomainError(f"Unknown order {order!r}; use one of: {', '.join(ORDERS)}.", field="sort")
    now = now or utcnow()
    conditions = list(_visibility(viewer))

    priority_values = _priorities(priorities)
    if priority_values is not None:
        conditions.append(Ticket.priority.in_(priority_values) if len(priority_values) > 1
                          else Ticket.priority == priority_values[0])
    if group_id is not None:
        conditions.append(Ticket.group_id == group_id)
    if organization_id is not None:
        conditions.append(Ticket.organization_id == organization_id)
    if requester_id is not None:
        conditions.append(Ticket.requester_id == requester_id)
    if topic_id is not None:
        conditions.append(Ticket.topic_id == topic_id)
    if created_from is not None:
        conditions.append(Ticket.created_at >= created_from)
    if created_to is not None:
        conditions.append(Ticket.created_at < created_to)
    if tag:
        tag_name = rules.normalize_tag(tag)
        conditions.append(exists().where(
            ticket_tags.c.ticket_id == Ticket.id, ticket_tags.c.tag_id == Tag.id, Tag.name == tag_name
        ))
    if breach_state is not None:
        conditions.append(_breach(breach_state, now))
    if q is not None and q.strip():
        conditions.append(_matching(q, include_internal=viewer is not None and viewer.is_staff))

    return Queue(
        conditions=tuple(conditions), statuses=_statuses(statuses), assignees=_assignees(viewer, assignee),
        order=order,
    )


def default_queue(viewer, order="sla"):
    """The agent's default view: unassigned and mine, new or open, nearest SLA due first."""
    return queue_query(viewer, statuses=DEFAULT_STATUSES, assignee=("none", "me"), order=order)


def _as_tuple(value):
    if value is None:
        return None
    if isinstance(value, (str, int)):
        return (value,)
    return tuple(value)


def _statuses(statuses):
    values = _as_tuple(statuses)
    if values is None:
        return None
    unknown = [s for s in values if s not in rules.STATUSES]
    if unknown or not values:
        raise DomainError(
            f"Unknown status {', '.join(map(repr, unknown))}; use one of: {', '.join(rules.STATUSES)}.",
            field="status",
        )
    return tuple(dict.fromkeys(values))


def _priorities(priorities):
    values = _as_tuple(priorities)
    if values is None:
        return None
    out = []
    for value in values:
        if isinstance(value, str) and value.strip().lower() in rules.PRIORITIES:
            out.append(rules.PRIORITIES[value.strip().lower()])
        elif isinstance(value, int) and not isinstance(value, bool) and value in rules.PRIORITY_NAMES:
            out.append(value)
        else:
            raise DomainError(
                f"Unknown priority {value!r}; use one of: {', '.join(rules.PRIORITIES)}.", field="priority"
            )
    if not out:
        raise DomainError("Give at least one priority.", field="priority")
    return tuple(dict.fromkeys(out))


def _assignees(viewer, assignee):
    values = _as_tuple(assignee)
    if values is None:
        return None
    conds = {}
    for value in values:
        if value == "none":
            conds["none"] = Ticket.assignee_id.is_(None)
            continue
        if value == "me":
            if viewer is None:
                raise DomainError("'me' needs a signed-in user.", field="assignee")
            value = viewer.id
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError(f"Unknown assignee {value!r}; use 'me', 'none' or a user.", field="assignee")
        conds[value] = Ticket.assignee_id == value
    return tuple(conds.values())


def _breach(state, now):
    if state == "breached":
        return Ticket.due_at <= now
    if state == "due_soon":
        return and_(Ticket.due_at > now, Ticket.due_at <= now + DUE_SOON)
    if state == "on_track":
        return Ticket.due_at > now + DUE_SOON
    if state == "no_sla":
        return Ticket.due_at.is_(None)
    raise DomainError(
        f"Unknown breach state {state!r}; use one of: {', '.join(BREACH_STATES)}.", field="breach_state"
    )


def _matching(q, include_internal):
    """The full-text condition, shaped by how many tickets match.

    Few hits (a rare word): their ids are fetched first, so the database reads just those rows.
    Many hits (a common word): the list's own index drives the scan in page order and each row's
    search document is checked, so a page costs a few hundred cheap checks instead of reading
    and sorting every hit.
    """
    from app.extensions import db

    estimate = estimated_matches(q, include_internal)
    if estimate is not None and estimate > 2 * FEW_HITS:
        # Fetching the first hits would make PostgreSQL scan documents one by one; skip it.
        return document_matches(q, include_internal)
    few = db.session.scalars(ticket_ids_matching(q, include_internal).limit(FEW_HITS + 1)).all()
    if len(few) <= FEW_HITS:
        return Ticket.id.in_(few) if few else false()
    return document_matches(q, include_internal)


def _visibility(viewer):
    """Staff see every ticket; a customer their own (and their organization's when it shares)."""
    if viewer is not None and viewer.is_staff:
        return ()
    if viewer is None:
        return (false(),)
    mine = Ticket.requester_id == viewer.id
    org = viewer.organization
    if org is not None and org.shared_tickets:
        mine = or_(mine, Ticket.organization_id == viewer.organization_id)
    return (mine, Ticket.is_spam.is_(False))


__all__ = [
    "BadCursor", "DEFAULT_STATUSES", "Queue", "cursor_of", "decode_cursor", "default_queue", "queue_query",
]
