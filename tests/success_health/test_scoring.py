"""Pure health-scoring rules: weights, missing data, bands, trend, reasons, profiles."""

import pytest

from app.success.health import scoring as s

QUIET = {"tickets_recent": 2, "tickets_history": 6, "tickets_baseline": 2.0, "open_urgent": 0}


def test_weighted_average_of_the_measures_present():
    figures = dict(QUIET, csat_good=1, csat_bad=1)  # volume 100, csat 50, open urgent 100
    result = s.score_account(figures, {"ticket_volume": 1, "csat": 1, "open_urgent": 2})
    assert result.score == round((100 + 50 + 2 * 100) / 4)
    assert set(result.measures) == {"ticket_volume", "csat", "open_urgent"}


def test_missing_measures_are_left_out_and_their_weight_spread():
    # Only CSAT (50) and open urgent (100) have data; NPS weighs a lot but has no answers.
    figures = {"csat_good": 1, "csat_bad": 1, "open_urgent": 0}
    result = s.score_account(figures, {"csat": 1, "open_urgent": 1, "nps": 10})
    assert result.score == 75  # not dragged to 0 by the missing NPS
    assert "nps" in result.missing and "nps" not in result.measures


def test_zero_weight_measure_neither_counts_nor_is_reported_missing():
    result = s.score_account({"open_urgent": 3}, {"open_urgent": 1, "nps": 0})
    assert result.missing == [] and list(result.measures) == ["open_urgent"]
    assert result.score == 0  # clamped: 3 urgent tickets cost more than 100 points


def test_no_measure_with_data_and_weight_gives_no_score():
    result = s.score_account({"open_urgent": 0}, {"nps": 5})
    assert result.score is None and result.band is None and result.missing == ["nps"]


@pytest.mark.parametrize("score, band", [(100, "healthy"), (70, "healthy"), (69, "at_risk"), (40, "at_risk"),
                                         (39, "critical"), (0, "critical"), (None, None)])
def test_default_bands(score, band):
    assert s.band_for(score) == band


def test_configurable_thresholds():
    assert s.band_for(75, healthy_min=80, at_risk_min=50) == "at_risk"
    assert s.band_for(45, healthy_min=80, at_risk_min=50) == "critical"


@pytest.mark.parametrize("now, before, trend", [(80, 70, "up"), (70, 80, "down"), (71, 70, "flat"),
                                                (70, 72, "flat"), (70, None, None), (None, 70, None)])
def test_trend_against_last_week(now, before, trend):
    assert s.trend_for(now, before) == trend


@pytest.mark.parametrize("weights, message", [
    ({"csat": -1, "nps": 3}, "negative"),
    ({"csat": 0, "nps": 0}, "above zero"),
    ({}, "above zero"),
    ({"csat": "lots"}, "not a number"),
    ({"csat": "nan"}, "not a number"),
    ({"mood": 3}, "unknown measure"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(s.WeightError, match=message):
        s.validate_weights(weights)


def test_thresholds_must_be_ordered():
    with pytest.raises(s.WeightError):
        s.validate_thresholds(40, 70)
    s.validate_thresholds(70, 40)


def test_reasons_name_the_measures_pulling_the_score_down_most_worst_first():
    figures = dict(QUIET, open_urgent=2, sla_breached=3, sla_measured=10, csat_good=0, csat_bad=4)
    result = s.score_account(figures, s.DEFAULT_WEIGHTS)
    assert [r["measure"] for r in result.reasons] == ["csat", "sla_breaches", "open_urgent"]
    assert result.reasons[0]["params"] == {"csat_good": 0, "csat_bad": 4}
    # A measure at 100 is never a reason.
    assert all(r["measure"] != "ticket_volume" for r in result.reasons)


def test_healthy_account_has_no_reasons():
    assert s.score_account(QUIET).reasons == []


def test_ticket_volume_against_own_baseline():
    assert s.score_ticket_volume(3, 3.0, 9) == 100
    assert s.score_ticket_volume(6, 3.0, 9) == 50
    assert s.score_ticket_volume(12, 3.0, 9) == 0
    assert s.score_ticket_volume(0, 0, 0) is None
    assert s.score_ticket_volume(5, 0, None) is None  # too young for a baseline


def test_measure_scales():
    assert s.score_sla_breaches(0, 10) == 100 and s.score_sla_breaches(1, 4) == 50 and s.score_sla_breaches(0, 0) is None
    assert s.score_nps(1, 0, 1) == 50 and s.score_nps(2, 0, 0) == 100 and s.score_nps(0, 0, 0) is None
    assert s.score_renewal(None) is None and s.score_renewal(120) == 100 and s.score_renewal(0) == 30
    assert s.score_renewal(-5) == 20
    assert s.score_usage({"logins": (50, 100)}) == 50 and s.score_usage({"logins": (150, 100)}) == 100
    assert s.score_usage({"logins": (5, None)}) is None
    assert s.score_topic_exposure(None) is None and s.score_topic_exposure(2) == 80


def test_profile_choice_tag_over_stage_over_default():
    profiles = [{"id": 1, "is_default": True}, {"id": 2, "stage": "renewal"}, {"id": 3, "segment_tag": "enterprise"}]
    assert s.pick_profile(profiles, "renewal", ["enterprise"])["id"] == 3
    assert s.pick_profile(profiles, "renewal", ["smb"])["id"] == 2
    assert s.pick_profile(profiles, "mature", [])["id"] == 1
