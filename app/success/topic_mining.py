"""The database side of topic mining: stored vectors, full mines, attaching new tickets.

The algorithm lives in `app.success.mining` (numpy in, numpy out); this module feeds it stored
vectors and writes what it found back: tickets' `topic_id`, topic rows, the state new tickets are
attached with. CSM decisions are honoured on every run: a renamed topic keeps its label, pinned
tickets (split, merge) stay where the CSM put them, a cluster matching a merged topic goes to the
topic it was merged into, one matching a dismissed topic stays dismissed.

Functions flush, never commit, except `embed_missing(commit=True)` used by jobs, which commits
each batch so a long first run keeps its progress.
"""

import logging
import random
import threading
from collections import defaultdict

import numpy as np
from sqlalchemy import delete, func, insert, select, update

from app.core.locales import normalize_locale
from app.extensions import db
from app.models import Message, Ticket
from app.models.base import utcnow
from app.models.success import MiningState, Topic, TicketVector, TopicPin
from app.success import topic_rules

log = logging.getLogger(__name__)

EMBED_BATCH = 256
CHUNK = 500  # ids per IN (…) clause
DESCRIBE_SAMPLE = 200  # tickets read to name a topic; the label does not improve past that
BACKGROUND_SAMPLE = 2000  # tickets of every topic read to tell a topic's own words from everyone's
STATE_ID = 1

_state_cache = {"key": None, "state": None}
_state_lock = threading.Lock()


def _mining():
    from app.success import mining

    return mining


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _to_bytes(vector):
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _from_bytes(raw):
    return np.frombuffer(raw, dtype="<f4")


# --- texts and vectors -------------------------------------------------------------------------

def ticket_texts(ticket_ids):
    """{ticket id: (text, language)} from the subject and the first message."""
    mining = _mining()
    out = {}
    for chunk in _chunks(ticket_ids):
        first = (select(Message.ticket_id, func.min(Message.id).label("mid"))
                 .where(Message.ticket_id.in_(chunk)).group_by(Message.ticket_id).subquery())
        bodies = dict(db.session.execute(
            select(first.c.ticket_id, Message.body).join(Message, Message.id == first.c.mid)).all())
        for ticket_id, subject, language in db.session.execute(
                select(Ticket.id, Ticket.subject, Ticket.language).where(Ticket.id.in_(chunk))):
            text = mining.ticket_text(subject, bodies.get(ticket_id))
            lang = normalize_locale(language) or mining.detect_language(text)
            out[ticket_id] = (text, lang)
    return out


def store_vectors(ticket_ids, now=None):
    """Embed these tickets and store their vectors (replacing older ones). {id: (vector, language)}."""
    mining = _mining()
    now = now or utcnow()
    texts = ticket_texts(ticket_ids)
    ids = [i for i in ticket_ids if i in texts]
    if not ids:
        return {}
    vectors = mining.embed_tickets([texts[i][0] for i in ids], [texts[i][1] for i in ids])
    db.session.execute(delete(TicketVector).where(TicketVector.ticket_id.in_(ids))
                       .execution_options(synchronize_session=False))
    db.session.execute(insert(TicketVector), [
        {"ticket_id": i, "version": mining.VECTOR_VERSION, "language": texts[i][1],
         "vector": _to_bytes(vectors[n]), "created_at": now}
        for n, i in enumerate(ids)
    ])
    return {i: (vectors[n], texts[i][1]) for n, i in enumerate(ids)}


def minable_ticket_ids():
    return db.session.scalars(select(Ticket.id).where(Ticket.is_spam.is_(False)).order_by(Ticket.id)).all()


def embed_missing(ticket_ids=None, commit=False, now=None):
    """Vectors for tickets that have none or one of an older recipe, in batches. Returns how many."""
    mining = _mining()
    wanted = minable_ticket_ids() if ticket_ids is None else list(ticket_ids)
    current = set()
    for chunk in _chunks(wanted):
        current.update(db.session.scalars(select(TicketVector.ticket_id).where(
            TicketVector.ticket_id.in_(chunk), TicketVector.version == mining.VECTOR_VERSION)))
    missing = [i for i in wanted if i not in current]
    for batch in _chunks(missing, EMBED_BATCH):
        store_vectors(batch, now)
        if commit:
            db.session.commit()
    return len(missing)


def load_vectors(ticket_ids):
    """(ids, matrix, languages) of the stored current-version vectors, in ticket id order."""
    mining = _mining()
    ids, rows, langs = [], [], []
    for chunk in _chunks(ticket_ids, 5000):
        for ticket_id, raw, lang in db.session.execute(
                select(TicketVector.ticket_id, TicketVector.vector, TicketVector.language)
                .where(TicketVector.ticket_id.in_(chunk), TicketVector.version == mining.VECTOR_VERSION)
                .order_by(TicketVector.ticket_id)):
            ids.append(ticket_id)
            rows.append(_from_bytes(raw))
            langs.append(lang)
    matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, mining.VECTOR_DIM), np.float32)
    return ids, matrix, langs


# --- CSM decisions -----------------------------------------------------------------------------

def resolve_topic_ids(topic_ids):
    """{id: the live end of its merge chain} for the given topic ids."""
    parents = dict(db.session.execute(select(Topic.id, Topic.merged_into_id).where(Topic.status == "merged")).all())
    out = {}
    for topic_id in topic_ids:
        seen, current = set(), topic_id
        while current in parents and parents[current] is not None and current not in seen:
            seen.add(current)
            current = parents[current]
        out[topic_id] = current
    return out


def _previous_memberships():
    """[(topic id, ticket ids)] as the last run (and CSM edits since) left them, for matching."""
    pins = db.session.execute(select(TopicPin.ticket_id, TopicPin.topic_id, TopicPin.origin_topic_id,
                                     TopicPin.kind)).all()
    merged_pins = {p.ticket_id for p in pins if p.kind == "merge"}
    sets = defaultdict(set)
    for ticket_id, topic_id in db.session.execute(
            select(Ticket.id, Ticket.topic_id).where(Ticket.topic_id.is_not(None))):
        if ticket_id not in merged_pins:
            sets[topic_id].add(ticket_id)
    # A merged topic is recognised by the tickets it had when it was merged.
    for pin in pins:
        if pin.kind == "merge" and pin.origin_topic_id is not None:
            sets[pin.origin_topic_id].add(pin.ticket_id)
    return sorted(sets.items())


# --- the full mine -----------------------------------------------------------------------------

def mine_topics(now=None):
    """Mine every ticket now. Returns the live topics (active, with tickets), largest first."""
    mining = _mining()
    now = now or utcnow()
    all_ids = minable_ticket_ids()
    embed_missing(all_ids, now=now)
    ids, matrix, langs = load_vectors(all_ids)
    result = mining.mine(matrix, langs)
    labels = np.asarray(result.labels).reshape(-1)

    clusters = defaultdict(set)
    for ticket_id, label in zip(ids, labels.tolist()):
        if label >= 0:
            clusters[label].add(ticket_id)
    order = sorted(clusters)
    mapping = mining.match_topics(_previous_memberships(), [clusters[c] for c in order])

    topic_of_cluster = {}
    for position, cluster in enumerate(order):
        topic_id = mapping.get(position)
        if topic_id is None:
            topic = Topic(label="", terms=[], terms_by_language={}, status="active", trend="new",
                          weekly_counts=[], created_at=now, updated_at=now)
            db.session.add(topic)
            db.session.flush()
            topic_id = topic.id
        topic_of_cluster[cluster] = topic_id
    resolved = resolve_topic_ids(set(topic_of_cluster.values()))
    topic_of_cluster = {c: resolved[t] for c, t in topic_of_cluster.items()}

    assignment = {}
    for cluster, tickets in clusters.items():
        for ticket_id in tickets:
            assignment[ticket_id] = topic_of_cluster[cluster]
    pins = dict(db.session.execute(select(TopicPin.ticket_id, TopicPin.topic_id)).all())
    pin_targets = resolve_topic_ids(set(pins.values()))
    for ticket_id, topic_id in pins.items():
        assignment[ticket_id] = pin_targets[topic_id]

    _write_assignment(all_ids, assignment)
    centroids = np.asarray(result.centroids, dtype=np.float32)
    refresh_topics(set(assignment.values()) | _topics_with_tickets_before(), now,
                   centroids={topic_of_cluster[c]: centroids[c] for c in order if c < len(centroids)},
                   describe=True)
    _save_state(result, [topic_of_cluster.get(c) for c in range(len(centroids))], len(ids), now)
    return live_topics()


def _topics_with_tickets_before():
    return set(db.session.scalars(select(Topic.id).where(Topic.size > 0)))


def _write_assignment(ticket_ids, assignment):
    """Set tickets' topic_id where it changed (bulk UPDATEs grouped by topic)."""
    current = {}
    for chunk in _chunks(ticket_ids, 5000):
        current.update(db.session.execute(select(Ticket.id, Ticket.topic_id).where(Ticket.id.in_(chunk))).all())
    changes = defaultdict(list)
    for ticket_id in ticket_ids:
        wanted = assignment.get(ticket_id)
        if current.get(ticket_id) != wanted:
            changes[wanted].append(ticket_id)
    for topic_id, moved in changes.items():
        for chunk in _chunks(moved):
            db.session.execute(update(Ticket).where(Ticket.id.in_(chunk)).values(topic_id=topic_id)
                               .execution_options(synchronize_session=False))
    # Spam tickets never belong to a topic.
    db.session.execute(update(Ticket).where(Ticket.is_spam.is_(True), Ticket.topic_id.is_not(None))
                       .values(topic_id=None).execution_options(synchronize_session=False))


def refresh_topics(topic_ids, now=None, centroids=None, describe=False):
    """Recompute size, first/last seen, weekly counts and trend (and, with `describe`, the terms)."""
    now = now or utcnow()
    topic_ids = [t for t in topic_ids if t is not None]
    if not topic_ids:
        return
    created = defaultdict(list)
    for chunk in _chunks(topic_ids):
        for topic_id, created_at in db.session.execute(
                select(Ticket.topic_id, Ticket.created_at).where(Ticket.topic_id.in_(chunk))):
            created[topic_id].append(created_at)
    context = None
    for topic in db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids))):
        times = created.get(topic.id, [])
        topic.size = len(times)
        topic.first_seen = min(times) if times else topic.first_seen
        topic.last_seen = max(times) if times else topic.last_seen
        topic.weekly_counts = topic_rules.weekly_counts(times, now)
        topic.trend = topic_rules.trend(times, topic.first_seen, now) if times else "steady"
        if centroids and topic.id in centroids:
            topic.centroid = _to_bytes(centroids[topic.id])
        if describe and times:
            context = context if context is not None else description_background()
            _describe(topic, context)
        topic.updated_at = now


def description_background():
    """`mining.background` over a random sample of all tickets (ids drawn from their range)."""
    low, high = db.session.execute(select(func.min(Ticket.id), func.max(Ticket.id))).one()
    if low is None:
        return {}
    span = high - low + 1
    picked = random.Random(high).sample(range(low, high + 1), min(span, BACKGROUND_SAMPLE))
    pairs = list(ticket_texts(sorted(picked)).values())
    return _mining().background([t for t, _ in pairs], [lang for _, lang in pairs])


def _describe(topic, background=None):
    """Label (unless a CSM named it) and terms from a sample of the topic's tickets."""
    mining = _mining()
    ids = db.session.scalars(select(Ticket.id).where(Ticket.topic_id == topic.id).order_by(Ticket.id)).all()
    step = max(1, len(ids) // DESCRIBE_SAMPLE)
    texts = ticket_texts(ids[::step][:DESCRIBE_SAMPLE])
    if not texts:
        return
    pairs = list(texts.values())
    if background is None:
        background = description_background()
    label, terms, by_language = mining.describe([t for t, _ in pairs], [lang for _, lang in pairs], background)
    languages = [lang for _, lang in pairs if lang]
    topic.language = max(set(languages), key=languages.count) if languages else None
    topic.terms = list(terms)[:12]
    topic.terms_by_language = {lang: list(words)[:12] for lang, words in (by_language or {}).items()}
    if not topic.renamed:
        topic.label = (label or ", ".join(topic.terms[:3]) or f"Topic {topic.id}")[:200]


def _save_state(result, topic_ids, ticket_count, now):
    mining = _mining()
    state = db.session.get(MiningState, STATE_ID)
    if state is None:
        state = MiningState(id=STATE_ID, version=mining.VECTOR_VERSION, run=0)
        db.session.add(state)
    state.version = mining.VECTOR_VERSION
    state.run = (state.run or 0) + 1
    state.state = mining.state_to_dict(result)
    state.topic_ids = topic_ids
    state.ticket_count = ticket_count
    state.last_run_at = now


def live_topics():
    return db.session.scalars(
        select(Topic).where(Topic.status == "active", Topic.size > 0).order_by(Topic.size.desc(), Topic.id)
    ).all()


# --- attaching new tickets ---------------------------------------------------------------------

def _attach_state():
    """(decoded state, centroid index → topic id) of the last mine, cached per run; None before one."""
    row = db.session.execute(select(MiningState.run, MiningState.version, MiningState.last_run_at)
                             .where(MiningState.id == STATE_ID)).first()
    if row is None or row.version != _mining().VECTOR_VERSION:
        return None
    # The run's time too: a restored or re-created database may count runs from 1 again.
    key = (db.engine.url.render_as_string(hide_password=True), row.run, row.last_run_at)
    with _state_lock:
        if _state_cache["key"] != key:
            state = db.session.get(MiningState, STATE_ID)
            _state_cache["state"] = (_mining().state_from_dict(state.state), list(state.topic_ids))
            _state_cache["key"] = key
        return _state_cache["state"]


def attach_tickets(ticket_ids, now=None):
    """Embed and attach new tickets to existing topics. Returns {ticket id: topic id or None}.

    Tickets that already have a topic or a CSM pin keep it; without a previous mine the vectors
    are stored and the next mine places them.
    """
    mining = _mining()
    now = now or utcnow()
    ticket_ids = list(db.session.scalars(
        select(Ticket.id).where(Ticket.id.in_(list(ticket_ids)), Ticket.is_spam.is_(False)).order_by(Ticket.id)))
    if not ticket_ids:
        return {}
    have = set(db.session.scalars(select(TicketVector.ticket_id).where(
        TicketVector.ticket_id.in_(ticket_ids), TicketVector.version == mining.VECTOR_VERSION)))
    vectors = {}
    for batch in _chunks([i for i in ticket_ids if i not in have], EMBED_BATCH):
        vectors.update(store_vectors(batch, now))
    if have:
        got_ids, matrix, langs = load_vectors(sorted(have))
        vectors.update({i: (matrix[n], langs[n]) for n, i in enumerate(got_ids)})
    loaded = _attach_state()
    placed = {}
    if loaded is None:
        return placed
    state, centroid_topics = loaded
    settled = set(db.session.scalars(select(Ticket.id).where(Ticket.id.in_(ticket_ids), Ticket.topic_id.is_not(None))))
    settled |= set(db.session.scalars(select(TopicPin.ticket_id).where(TopicPin.ticket_id.in_(ticket_ids))))
    candidates = {}
    for ticket_id in ticket_ids:
        if ticket_id in settled or ticket_id not in vectors:
            continue
        vector, language = vectors[ticket_id]
        index = mining.attach(vector, language, state)
        topic_id = centroid_topics[index] if index is not None and index < len(centroid_topics) else None
        candidates[ticket_id] = topic_id
    resolved = resolve_topic_ids({t for t in candidates.values() if t is not None})
    by_topic = defaultdict(list)
    for ticket_id, topic_id in candidates.items():
        topic_id = resolved.get(topic_id) if topic_id is not None else None
        placed[ticket_id] = topic_id
        if topic_id is not None:
            by_topic[topic_id].append(ticket_id)
    for topic_id, tickets in by_topic.items():
        for chunk in _chunks(tickets):
            db.session.execute(update(Ticket).where(Ticket.id.in_(chunk), Ticket.topic_id.is_(None))
                               .values(topic_id=topic_id).execution_options(synchronize_session=False))
    refresh_topics(by_topic.keys(), now)
    return placed
