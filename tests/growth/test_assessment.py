from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from growth.assessment import ReferralReason, RemeasureReason, assess_child
from growth.weight_gain import GainStatus, Weighing

BORN = date(2022, 1, 10)


def test_well_child_no_referral() -> None:
    a = assess_child("m", BORN, date(2023, 1, 10), 9.6, 75.7, "l")
    assert a.age_days == 365 and a.age_months == 12
    assert a.length_for_age.category is not None
    assert a.length_for_age.category.code == "normal_height"
    assert a.referral_reasons == () and not a.remeasure and not a.refer
    assert a.weight_gain is not None and a.weight_gain.status is GainStatus.B
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.bgm = True  # type: ignore[misc]


def test_stunted_wasted_bgm_2t() -> None:
    previous = [Weighing(date(2023, 12, 20), 7.6, GainStatus.T)]
    a = assess_child("f", BORN, date(2024, 1, 20), 7.5, 76.0, "h", previous=previous)
    assert a.position_used == "h" and a.clenhei == 76.0
    reasons = set(a.referral_reasons)
    assert {ReferralReason.STUNTING, ReferralReason.BGM, ReferralReason.TWO_T} <= reasons
    assert a.stunted and a.bgm and a.two_t
    assert a.weight_for_age.z is not None and a.weight_for_age.z < -3


def test_wasting() -> None:
    a = assess_child(1, BORN, date(2023, 1, 10), 7.6, 76.0, "l")
    assert a.weight_for_length.z is not None and a.weight_for_length.z < -2
    assert ReferralReason.WASTING in a.referral_reasons


def test_flag_asks_remeasure_not_referral() -> None:
    a = assess_child("m", BORN, date(2023, 1, 10), 9.6, 55.0, "l")  # length far too short
    assert a.length_for_age.flagged and a.remeasure
    assert RemeasureReason.LENGTH_FOR_AGE in a.remeasure_reasons
    assert ReferralReason.STUNTING not in a.referral_reasons


def test_standing_under_9_months_and_position_correction() -> None:
    a = assess_child("f", BORN, date(2022, 6, 10), 7.0, 64.0, "h")
    assert a.standing_under_9_months and a.clenhei == 64.0
    assert RemeasureReason.STANDING_UNDER_9_MONTHS in a.remeasure_reasons
    b = assess_child("f", BORN, date(2023, 6, 10), 9.0, 78.0, "h")
    assert b.clenhei == pytest.approx(78.7) and b.position_used == "l"
    c = assess_child("f", BORN, date(2024, 6, 10), 12.0, 90.0, "l")
    assert c.clenhei == pytest.approx(89.3) and c.position_used == "h"


def test_oedema_and_missing_values() -> None:
    a = assess_child("m", BORN, date(2023, 1, 10), 9.6, None, None, oedema=True, armc_cm=14.0)
    assert a.weight_for_age.z is None and a.length_for_age.z is None and a.clenhei is None
    assert a.arm_circumference_for_age.z is not None
    assert a.position_used is None


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        assess_child("x", BORN, date(2023, 1, 10), 9.6, 75.0, "l")
    with pytest.raises(ValueError):
        assess_child("m", BORN, date(2021, 1, 10), 9.6, 75.0, "l")
