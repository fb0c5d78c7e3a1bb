"""Health scoring rules: pure functions from an account's raw figures to a score, band, trend and
reasons. No Flask, no database: `services.recompute_health` gathers the figures set-based and
calls these."""

from dataclasses import dataclass, field

# The order is the order people read them in (admin page, account page).
MEASURES = ("ticket_volume", "sla_breaches", "csat", "nps", "open_urgent", "topic_exposure", "renewal", "usage")

DEFAULT_WEIGHTS = {
    "ticket_volume": 15, "sla_breaches": 15, "csat": 15, "nps": 15,
    "open_urgent": 10, "topic_exposure": 10, "renewal": 10, "usage": 10,
}
HEALTHY_MIN = 70
AT_RISK_MIN = 40
BANDS = ("healthy", "at_risk", "critical")
TREND_FLAT = 3  # points: a smaller move than this against last week is "flat"
MAX_REASONS = 3
REASON_BELOW = 70  # a measure scoring this or more is not a reason for concern


class WeightError(ValueError):
    """Weights that cannot score anything (negative, not numbers, or all zero)."""


@dataclass
class Result:
    score: int | None
    band: str | None
    measures: dict = field(default_factory=dict)  # measure → {"score", "weight", **figures}
    missing: list = field(default_factory=list)
    reasons: list = field(default_factory=list)  # [{"measure", "score", "params"}], worst first


def clamp(value, low=0.0, high=100.0):
    return max(low, min(high, value))


def validate_weights(weights):
    """{measure: float}; unknown measures, negatives, non-numbers and all-zero are refused."""
    clean = {}
    for measure, raw in (weights or {}).items():
        if measure not in MEASURES:
            raise WeightError(f"unknown measure {measure!r}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise WeightError(f"{measure}: not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise WeightError(f"{measure}: not a number")
        if value < 0:
            raise WeightError(f"{measure}: a weight cannot be negative")
        clean[measure] = value
    if not any(clean.values()):
        raise WeightError("at least one weight must be above zero")
    return clean


def validate_thresholds(healthy_min, at_risk_min):
    if not (0 < at_risk_min < healthy_min <= 100):
        raise WeightError("thresholds must satisfy 0 < at risk < healthy ≤ 100")


# --- one measure each: raw figures → 0–100, or None when there is no data ----------------------

def score_ticket_volume(recent, baseline_per_period, history_tickets):
    """Tickets in the last 30 days against the account's own 30-day average before that.
    At or under its usual volume scores 100; twice its usual 50; three times 0. None without a
    baseline (`history_tickets` None: the account is too young) or without any ticket."""
    if history_tickets is None or (not history_tickets and not recent):
        return None
    ratio = recent / max(baseline_per_period, 1.0)
    return 100.0 if ratio <= 1 else clamp(100 - 50 * (ratio - 1))


def score_sla_breaches(breached, measured):
    """Share of SLA targets breached (90 days): none 100, 25 % 50, half or more 0."""
    if not measured:
        return None
    return clamp(100 - 200 * breached / measured)


def score_csat(good, bad):
    total = good + bad
    return None if not total else 100.0 * good / total


def nps_value(promoters, passives, detractors):
    """Net promoter score, −100…100, or None without answers."""
    total = promoters + passives + detractors
    return None if not total else 100.0 * (promoters - detractors) / total


def score_nps(promoters, passives, detractors):
    value = nps_value(promoters, passives, detractors)
    return None if value is None else (value + 100) / 2


def score_open_urgent(count):
    return clamp(100 - 35 * count)


def score_topic_exposure(topics):
    """Recurring topics the account is hit by; None when topic mining has nothing to say."""
    return None if topics is None else clamp(100 - 10 * topics)


def score_renewal(days_left):
    """90 days or more before renewal: 100; falls to 30 on the day; overdue renewals 20."""
    if days_left is None:
        return None
    if days_left < 0:
        return 20.0
    if days_left >= 90:
        return 100.0
    return 30 + 70 * days_left / 90


def score_usage(metrics):
    """{metric: (recent average, baseline average or None)} → the mean of recent/baseline, capped."""
    ratios = [min(1.0, recent / baseline) for recent, baseline in (metrics or {}).values()
              if recent is not None and baseline]
    return None if not ratios else 100.0 * sum(ratios) / len(ratios)


def band_for(score, healthy_min=HEALTHY_MIN, at_risk_min=AT_RISK_MIN):
    if score is None:
        return None
    if score >= healthy_min:
        return "healthy"
    if score >= at_risk_min:
        return "at_risk"
    return "critical"


def trend_for(score, last_week_score, flat=TREND_FLAT):
    """up/down/flat against last week's score; None without a score then or now."""
    if score is None or last_week_score is None:
        return None
    if score - last_week_score >= flat:
        return "up"
    if last_week_score - score >= flat:
        return "down"
    return "flat"


def measure_scores(figures):
    """{measure: score or None} from the raw figures of one account (see services.gather)."""
    f = figures
    return {
        "ticket_volume": score_ticket_volume(f.get("tickets_recent", 0), f.get("tickets_baseline", 0.0),
                                             f.get("tickets_history")),
        "sla_breaches": score_sla_breaches(f.get("sla_breached", 0), f.get("sla_measured", 0)),
        "csat": score_csat(f.get("csat_good", 0), f.get("csat_bad", 0)),
        "nps": score_nps(f.get("nps_promoters", 0), f.get("nps_passives", 0), f.get("nps_detractors", 0)),
        "open_urgent": score_open_urgent(f.get("open_urgent", 0)),
        "topic_exposure": score_topic_exposure(f.get("topics")),
        "renewal": score_renewal(f.get("renewal_days")),
        "usage": score_usage(f.get("usage")),
    }


# Raw figures a reason sentence needs, per measure.
REASON_PARAMS = {
    "ticket_volume": ("tickets_recent", "tickets_baseline"),
    "sla_breaches": ("sla_breached", "sla_measured"),
    "csat": ("csat_good", "csat_bad"),
    "nps": ("nps_promoters", "nps_passives", "nps_detractors"),
    "open_urgent": ("open_urgent",),
    "topic_exposure": ("topics",),
    "renewal": ("renewal_days",),
    "usage": (),
}


def score_account(figures, weights=None, healthy_min=HEALTHY_MIN, at_risk_min=AT_RISK_MIN):
    """The weighted score of one account. Measures without data are left out and their weight is
    spread over the rest (a weighted mean over the measures present)."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    scores = measure_scores(figures)
    measures, missing = {}, []
    total_weight = weighted = 0.0
    for name in MEASURES:
        value = scores[name]
        weight = float(weights.get(name, 0) or 0)
        if value is None:
            if weight > 0:
                missing.append(name)
            continue
        if weight <= 0:
            continue
        measures[name] = {"score": round(value), "weight": weight}
        total_weight += weight
        weighted += weight * value
    if total_weight <= 0:
        return Result(None, None, measures, missing, [])
    score = round(weighted / total_weight)
    # What each measure costs the score: its share of the weight times its shortfall from 100.
    costs = sorted(((m["weight"] / total_weight * (100 - m["score"]), name) for name, m in measures.items()
                    if m["score"] < REASON_BELOW), reverse=True)
    reasons = [{"measure": name, "score": measures[name]["score"],
                "params": {k: _plain(figures.get(k)) for k in REASON_PARAMS[name]}}
               for cost, name in costs[:MAX_REASONS] if cost > 0]
    return Result(score, band_for(score, healthy_min, at_risk_min), measures, missing, reasons)


def _plain(value):
    if isinstance(value, float):
        return round(value, 1)
    return value


def pick_profile(profiles, stage, tags):
    """The profile for an account: one naming one of its segment tags, else its stage, else the
    default (profiles: dicts with "segment_tag", "stage", "is_default"; first match wins)."""
    tags = set(tags or ())
    for profile in profiles:
        if profile.get("segment_tag") and profile["segment_tag"] in tags:
            return profile
    for profile in profiles:
        if profile.get("stage") and profile["stage"] == stage:
            return profile
    for profile in profiles:
        if profile.get("is_default"):
            return profile
    return None
