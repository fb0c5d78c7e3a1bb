"""Full-text search over ticket subjects and messages, on SQLite and PostgreSQL alike.

Built-in tokenizers split words at spaces, so Chinese and Japanese (no spaces) would be one huge
"word". Python normalizes every text first: NFKC, case-folded, split into letter/digit words, and
each CJK run turned into overlapping character bigrams (退款申请 → 退款 款申 申请, plus its last
character alone so one-character queries can match as a prefix). The database then only matches
whole space-separated tokens: FTS5 (ascii tokenizer: splits at the spaces only) on SQLite, a GIN index over
array_to_tsvector(string_to_array(text, ' ')) on PostgreSQL (no text-search parser involved).

Each ticket has a public document (subject + public replies, what customers may match) and a full
one (plus internal notes, for staff) in `ticket_search`. They are rewritten for the touched tickets
only, in the same flush as the change, so search is never stale and never scans.
"""

import json
import re
import unicodedata

from sqlalchemy import cast, column, delete, event, false, insert, literal, literal_column, select, table
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql import func

from app.models.ticket import Message, Ticket, TicketSearchDocument

# Hard limits keep every document inside PostgreSQL's tsvector limits (2 KB a lexeme, 1 MB in all).
MAX_TOKEN_CHARS = 60
MAX_DOCUMENT_CHARS = 200_000
MAX_QUERY_TOKENS = 32

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(
    "["
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"  # katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\U00020000-\U0003134f"  # CJK extensions B–G
    "]+"
)

FTS_TABLE = "ticket_search_fts"
_fts = table(FTS_TABLE, column("rowid"), column("public_text"), column("full_text"))
_docs = TicketSearchDocument.__table__


def _cjk_tokens(run, query=False):
    if len(run) == 1:
        return [run]
    bigrams = [run[i:i + 2] for i in range(len(run) - 1)]
    # Documents also store the run's last character, for one-character queries; a query of two
    # or more characters is fully covered by its bigrams.
    return bigrams if query else bigrams + [run[-1]]


def _word_tokens(word, query=False):
    """One normalized word → tokens: itself, or bigrams for its CJK runs and words for the rest."""
    tokens = []
    pos = 0
    for match in _CJK.finditer(word):
        if match.start() > pos:
            tokens.append(word[pos:match.start()])
        tokens.extend(_cjk_tokens(match.group(), query))
        pos = match.end()
    if pos < len(word):
        tokens.append(word[pos:])
    return [token[:MAX_TOKEN_CHARS] for token in tokens]


def _words(value):
    value = unicodedata.normalize("NFKC", value or "").casefold().replace("ё", "е")
    return _WORD.findall(value)


def tokens(value):
    """The search tokens of a text, in order (duplicates kept)."""
    result = []
    for word in _words(value):
        result.extend(_word_tokens(word))
    return result


def document(*texts):
    """A stored document: the distinct tokens of the texts joined by single spaces, bounded in size."""
    seen = dict.fromkeys(token for value in texts for token in tokens(value))
    out, size = [], 0
    for token in seen:
        size += len(token) + 1
        if size > MAX_DOCUMENT_CHARS:
            break
        out.append(token)
    return " ".join(out)


def query_terms(q):
    """[(token, is_prefix)] for a user's query; empty when nothing searchable is left.

    A lone CJK character is a prefix term: it matches every bigram that starts with it (and the
    trailing single character every run stores).
    """
    terms = {}
    for word in _words(q):
        for token in _word_tokens(word, query=True):
            prefix = len(token) == 1 and _CJK.fullmatch(token) is not None
            terms.setdefault(token, prefix)
    return list(terms.items())[:MAX_QUERY_TOKENS]


def _fts5_query(terms):
    # Every term is quoted, so FTS5 syntax in the user's text (NEAR, *, -, quotes) is inert.
    return " AND ".join(f'"{token}"' + ("*" if prefix else "") for token, prefix in terms)


def _tsquery(terms):
    parts = []
    for token, prefix in terms:
        quoted = "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"
        parts.append(quoted + (":*" if prefix else ""))
    return " & ".join(parts)


def tsvector_of(col):
    """The indexed expression on PostgreSQL; must stay textually equal to migration 0002's index."""
    return func.array_to_tsvector(func.string_to_array(col, literal_column("' '")))


def ticket_ids_matching(q, include_internal, dialect=None):
    """A select of ticket ids whose every query word matches; use as `Ticket.id.in_(...)`.

    `include_internal` searches internal notes as well (staff only). Never raises on odd input:
    a query with nothing searchable in it matches no ticket.
    """
    from app.extensions import db

    terms = query_terms(q)
    if not terms:
        return select(Ticket.id).where(false())
    dialect = dialect or db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return _pg_matching(terms, include_internal)
    col = _fts.c.full_text if include_internal else _fts.c.public_text
    return select(_fts.c.rowid).where(col.op("MATCH")(_fts5_query(terms)))


def estimated_matches(q, include_internal):
    """PostgreSQL's own estimate of how many tickets match (statistics of the GIN expression), or
    None where no cheap estimate exists (SQLite, whose FTS5 streams hits cheaply instead)."""
    from app.extensions import db

    terms = query_terms(q)
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql" or not terms:
        return None
    # The planner multiplies the terms' frequencies as if independent, which badly underestimates
    # CJK bigrams of one word; the rarest single term bounds the real number from above.
    estimates = []
    for term in terms[:4]:
        compiled = _pg_matching([term], include_internal).compile(dialect=dialect)
        plan = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimates.append(plan[0]["Plan"]["Plan Rows"])
    return min(estimates)


def document_matches(q, include_internal):
    """A per-row condition: the ticket's document holds every query term.

    No index serves it; it suits scans that already walk another index in page order and need
    to check a few hundred rows (a common word), where fetching every hit first would cost more.
    """
    terms = query_terms(q)
    if not terms:
        return false()
    col = _docs.c.full_text if include_internal else _docs.c.public_text
    padded = literal(" ") + col + literal(" ")
    # Tokens are letters and digits only, so LIKE's wildcards cannot come from the user.
    likes = [padded.like(f"% {token}%" if prefix else f"% {token} %") for token, prefix in terms]
    # A counted subquery, not EXISTS: PostgreSQL would turn EXISTS into a join driven by a scan of
    # every document; this stays a per-row check inside the caller's ordered index scan.
    return select(func.count()).where(_docs.c.ticket_id == Ticket.id, *likes).scalar_subquery() > 0


def _pg_matching(terms, include_internal):
    col = _docs.c.full_text if include_internal else _docs.c.public_text
    tsq = cast(literal(_tsquery(terms)), TSQUERY)
    return select(_docs.c.ticket_id).where(tsvector_of(col).op("@@")(tsq))


# --- keeping the documents in step ---------------------------------------------------------------

def index_ticket(ticket_id, connection):
    """Rewrite one ticket's documents from its subject and messages (one ticket, never a scan)."""
    subject = connection.execute(select(Ticket.subject).where(Ticket.id == ticket_id)).scalar()
    connection.execute(delete(_docs).where(_docs.c.ticket_id == ticket_id))
    if subject is None:  # the ticket is gone
        return
    messages = connection.execute(
        select(Message.body, Message.public).where(Message.ticket_id == ticket_id).order_by(Message.id)
    ).all()
    _insert_documents(connection, ticket_id, subject, messages)


def _insert_documents(connection, ticket_id, subject, messages):
    public = [subject] + [body for body, is_public in messages if is_public]
    internal = [body for body, is_public in messages if not is_public]
    connection.execute(
        insert(_docs).values(
            ticket_id=ticket_id, public_text=document(*public), full_text=document(*public, *internal)
        )
    )


def _changed(obj, *names):
    return any(attributes.get_history(obj, name).has_changes() for name in names)


def tickets_touched(session):
    """Ids of tickets whose searchable text this flush changed."""
    ids = set()
    for obj in session.new:
        if isinstance(obj, Ticket):
            ids.add(obj.id)
        elif isinstance(obj, Message):
            ids.add(obj.ticket_id)
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _changed(obj, "subject"):
            ids.add(obj.id)
        elif isinstance(obj, Message) and _changed(obj, "body", "public", "ticket_id"):
            ids.add(obj.ticket_id)
            ids.update(attributes.get_history(obj, "ticket_id").deleted or ())
    deleted_tickets = {obj.id for obj in session.deleted if isinstance(obj, Ticket)}
    for obj in session.deleted:
        if isinstance(obj, Message):
            ids.add(obj.ticket_id)
    return {i for i in ids if i is not None} - deleted_tickets


def _new_ticket_texts(session, ids):
    """{ticket id: (subject, [(body, public)])} for tickets created in this flush whose every
    message is in memory: their documents are written without reading anything back (the public
    form's hot path). A brand-new ticket has no document yet (documents cascade with tickets)."""
    tickets = {obj.id: obj for obj in session.new if isinstance(obj, Ticket) and obj.id in ids}
    if not tickets:
        return {}
    known = {tid: {id(m) for m in t.messages} for tid, t in tickets.items()}
    for obj in session.new:
        if isinstance(obj, Message) and obj.ticket_id in known and id(obj) not in known[obj.ticket_id]:
            known.pop(obj.ticket_id)  # added by id only: read it back the usual way
    return {tid: (tickets[tid].subject, [(m.body, m.public) for m in tickets[tid].messages]) for tid in known}


@event.listens_for(Session, "after_flush")
def _reindex_after_flush(session, _flush_context):
    ids = tickets_touched(session)
    if not ids:
        return
    connection = session.connection()
    fresh = _new_ticket_texts(session, ids)
    for ticket_id in sorted(ids):
        if ticket_id in fresh:
            _insert_documents(connection, ticket_id, *fresh[ticket_id])
        else:
            index_ticket(ticket_id, connection)


def reindex_all(connection, batch=5000):
    """Rebuild every document (after a bulk load that bypassed the ORM, or a normalizer change)."""
    last = 0
    while True:
        ids = connection.execute(
            select(Ticket.id).where(Ticket.id > last).order_by(Ticket.id).limit(batch)
        ).scalars().all()
        if not ids:
            return
        for ticket_id in ids:
            index_ticket(ticket_id, connection)
        last = ids[-1]


__all__ = ["document", "document_matches", "estimated_matches", "index_ticket", "query_terms", "reindex_all", "ticket_ids_matching", "tokens"]
