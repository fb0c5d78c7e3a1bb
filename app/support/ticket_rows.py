"""Writing a new ticket's rows without the unit of work (the public form's hot path).

Its dependency sort and per-object bookkeeping over two flushes were most of a public submission's
CPU; the rows written and the hooks run are the same. The instances returned are persistent, as if
loaded, so callers read them without a query.
"""

from sqlalchemy import BigInteger, Boolean, Text, bindparam, cast, func, insert, literal, null, select
from sqlalchemy.orm import make_transient_to_detached

from app.extensions import db
from app.jobs.core import enqueue_now, job_row, written_job
from app.models import (BlockedSender, JobRecord, Message, OrganizationDomain, Ticket, TicketEvent,
                        TicketSearchDocument, User)

_SENDER_FACTS = select(
    select(BlockedSender.id).where(BlockedSender.email == bindparam("email")).limit(1).scalar_subquery(),
    select(User.id).where(User.email == bindparam("email")).scalar_subquery(),
    select(OrganizationDomain.organization_id).where(OrganizationDomain.domain == bindparam("domain"))
    .scalar_subquery(),
)


def sender_facts(connection, address):
    """(blocked sender id, user id, organization id of the address's domain) in one round trip."""
    return tuple(connection.execute(
        _SENDER_FACTS, {"email": address, "domain": address.rsplit("@", 1)[-1]}).one())


_ROW_PLANS = {}


def _row_plan(table):
    """(INSERT … RETURNING its generated key, the Python defaults of the other columns), built once."""
    plan = _ROW_PLANS.get(table.name)
    if plan is None:
        defaults = {}
        for column in table.columns:
            if column.primary_key and column.autoincrement is not False and column.foreign_keys == set():
                continue  # generated: returned
            if column.server_default is not None or (column.default is not None and not (
                    column.default.is_scalar or column.default.is_callable)):
                raise TypeError(f"{table.name}.{column.name}: only Python defaults are supported here")
            defaults[column.key] = column.default
        generated = [c for c in table.primary_key.columns if c.key not in defaults]
        statement = insert(table).returning(*generated) if generated else insert(table)
        plan = _ROW_PLANS[table.name] = (statement, defaults, bool(generated))
    return plan


def _full_row(model, values):
    """The values with every other column's Python default filled in."""
    _statement, defaults, _returns_id = _row_plan(model.__table__)
    row = dict(values)
    for key, default in defaults.items():
        if key not in row:
            row[key] = None if default is None else default.arg(None) if default.is_callable else default.arg
    return row


def _insert_row(connection, model, values):
    """INSERT one row with every column given (Python defaults filled in); returns (id, values)."""
    statement, _defaults, returns_id = _row_plan(model.__table__)
    row = _full_row(model, values)
    result = connection.execute(statement, row)
    return (result.scalar_one() if returns_id else None), row


def _as_loaded(model, row_id, row):
    """A persistent instance of a row just written, as if loaded (no query, no flush)."""
    # Straight into the instance's dict, as a load does: no constructor, no attribute events.
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(row, id=row_id)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


class _NewRequester:
    """Stands for the id of the requester written in the same statement (not known before)."""


NEW_REQUESTER = _NewRequester()
_JSON_ARG_TYPES = {bool: Boolean, int: BigInteger, str: Text}
_PG_TICKET_ROWS = {}


def _pg_ticket_statement(names, user_refs, job_shapes):
    """PostgreSQL: a new requester (when `user_refs`, the parameters that take its id, is not None),
    the ticket, its message, search document, "created" event and job rows (`job_shapes`: the types
    of each job's arguments after the ticket id) in one statement of data-modifying CTEs. One row:
    ticket id, message id, requester id or None, then the jobs' ids. `names`: the parameters given;
    other columns are left NULL (none has a server default), which keeps the parameters few enough
    for psycopg to cache the parsed query (at most 50)."""
    key = (names, user_refs, job_shapes)
    statement = _PG_TICKET_ROWS.get(key)
    if statement is not None:
        return statement
    given = set(names)

    def binds(model, prefix, skip=()):
        values = {c.key: bindparam(f"{prefix}_{c.key}", type_=c.type) for c in model.__table__.columns
                  if f"{prefix}_{c.key}" in given and c.key not in skip}
        for name in user_refs or ():
            if name.startswith(f"{prefix}_"):
                values[name[len(prefix) + 1:]] = select(users.c.id).scalar_subquery()
        return values

    users = None
    if user_refs is not None:
        users = insert(User.__table__).values(binds(User, "u")).returning(User.__table__.c.id).cte("u")
    tickets = insert(Ticket.__table__).values(binds(Ticket, "t")).returning(Ticket.__table__.c.id).cte("t")

    def follow(model, prefix):
        values = binds(model, prefix, skip=("ticket_id",))
        names = ["ticket_id", *values]
        return insert(model.__table__).from_select(names, select(tickets.c.id, *values.values()))

    messages = follow(Message, "m").returning(Message.__table__.c.id).cte("m")
    documents = follow(TicketSearchDocument, "s").cte("s")
    events = follow(TicketEvent, "e").cte("e")
    statement = select(tickets.c.id, messages.c.id, users.c.id if users is not None else null()) \
        .select_from(tickets).join(messages, literal(True)).add_cte(documents, events)
    if users is not None:
        statement = statement.join(users, literal(True))
    previous = None
    for n, types in enumerate(job_shapes):
        values = binds(JobRecord, f"j{n}", skip=("args",))
        args = func.json_build_array(
            tickets.c.id, *(cast(bindparam(f"j{n}_a{i}"), _JSON_ARG_TYPES[t]) for i, t in enumerate(types)))
        source = select(args, *values.values()).select_from(tickets)
        if previous is not None:  # read after the job before it: the ids keep the jobs' order
            source = source.join(previous, literal(True))
        previous = insert(JobRecord.__table__).from_select(["args", *values], source) \
            .returning(JobRecord.__table__.c.id).cte(f"j{n}")
        statement = statement.add_columns(previous.c.id).join(previous, literal(True))
    _PG_TICKET_ROWS[key] = statement
    return statement


def _with_requester(values, requester_id):
    return {k: requester_id if v is NEW_REQUESTER else v for k, v in values.items()}


def write_ticket_rows(connection, user_values, ticket_values, message_values, document_values, event_values,
                       jobs):
    """Insert a new ticket's rows, and its requester's when `user_values` is given (values that
    are NEW_REQUESTER take the new requester's id), and its `jobs` [(name, args after the ticket
    id)]. Returns (requester or None, ticket, message) as loaded instances."""
    ticket_row = _full_row(Ticket, ticket_values)
    if connection.dialect.name == "postgresql":
        rows = {"t": ticket_row, "m": _full_row(Message, message_values),
                "s": _full_row(TicketSearchDocument, document_values), "e": _full_row(TicketEvent, event_values)}
        if user_values is not None:
            rows["u"] = _full_row(User, user_values)
        params, user_refs = {}, []
        for prefix, row in rows.items():
            for k, v in row.items():
                if v is NEW_REQUESTER:
                    user_refs.append(f"{prefix}_{k}")
                elif k != "ticket_id" and v is not None:
                    params[f"{prefix}_{k}"] = v
        queues = []
        for n, (name, args) in enumerate(jobs):
            row = _full_row(JobRecord, job_row(name, 0, *args))  # 0: the ticket id, known in the statement
            del row["args"]
            params.update((f"j{n}_{k}", v) for k, v in row.items() if v is not None)
            params.update((f"j{n}_a{i}", v) for i, v in enumerate(args))
            queues.append(row["queue"])
        shapes = tuple(tuple(type(v) for v in args) for _name, args in jobs)
        statement = _pg_ticket_statement(tuple(params), tuple(user_refs) if user_values is not None else None, shapes)
        ticket_id, message_id, user_id, *job_ids = connection.execute(statement, params).one()
        for job_id, queue in zip(job_ids, queues):
            written_job(job_id, queue)
        message_row = _with_requester(rows["m"], user_id)
        message_row["ticket_id"] = ticket_id
        user_row = rows.get("u")
    else:
        user_id = user_row = None
        if user_values is not None:
            user_id, user_row = _insert_row(connection, User, user_values)
        ticket_id, ticket_row = _insert_row(connection, Ticket, _with_requester(ticket_values, user_id))
        message_id, message_row = _insert_row(
            connection, Message, {"ticket_id": ticket_id, **_with_requester(message_values, user_id)})
        _insert_row(connection, TicketSearchDocument, {"ticket_id": ticket_id, **document_values})
        _insert_row(connection, TicketEvent, {"ticket_id": ticket_id, **_with_requester(event_values, user_id)})
        for name, args in jobs:
            enqueue_now(name, ticket_id, *args)
    requester = _as_loaded(User, user_id, user_row) if user_row is not None else None
    ticket = _as_loaded(Ticket, ticket_id, _with_requester(ticket_row, user_id))
    return requester, ticket, _as_loaded(Message, message_id, message_row)
