"""Stable topic identity across re-runs: match new clusters to previous topics by shared tickets."""


def match_topics(previous: list[tuple[int, set[int]]], current: list[set[int]]) -> dict[int, int]:
    """Map current cluster index → previous topic id, one-to-one.

    A pair qualifies when the shared tickets make up at least half of the smaller side (so a topic
    that grew, shrank or lost a split-off part keeps its id); pairs are taken best-first by Jaccard
    overlap, so when a topic splits, the larger share keeps the identity.
    """
    old_sets = {topic_id: set(old) for topic_id, old in previous}
    owners = {}  # ticket id → previous topics holding it (an inverted index keeps this linear)
    for topic_id, old in old_sets.items():
        for ticket in old:
            owners.setdefault(ticket, []).append(topic_id)
    pairs = []
    for index, tickets in enumerate(current):
        tickets = set(tickets)
        shared_by = {}
        for ticket in tickets:
            for topic_id in owners.get(ticket, ()):
                shared_by[topic_id] = shared_by.get(topic_id, 0) + 1
        for topic_id, shared in shared_by.items():
            old = old_sets[topic_id]
            if shared * 2 < min(len(tickets), len(old)):
                continue
            jaccard = shared / len(tickets | old)
            # Ties go to the larger overlap, then the older (smaller) id, for deterministic output.
            pairs.append((-jaccard, -shared, topic_id, index))
    pairs.sort()
    taken_topics, mapping = set(), {}
    for _j, _s, topic_id, index in pairs:
        if index in mapping or topic_id in taken_topics:
            continue
        mapping[index] = topic_id
        taken_topics.add(topic_id)
    return mapping
