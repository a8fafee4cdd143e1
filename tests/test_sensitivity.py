"""Weight sensitivity (scoring/sensitivity.py): one-at-a-time and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

from gis.errors import ConfigError
from scoring.sensitivity import draw_weights, monte_carlo, one_at_a_time, perturb_weights
from scoring.zone import Scoring


def make_cfg(weights=(1, 1)) -> Scoring:
    """Two criteria whose value is the measure itself (linear 0 → 0, 1 → 1)."""
    crit = [
        {
            "id": cid,
            "name": cid,
            "name_en": cid,
            "measure": cid,
            "unit": "-",
            "function": {"type": "linear", "x0": 0, "x1": 1},
            "weight": w,
            "source": "t",
        }
        for cid, w in zip(("a", "b"), weights)
    ]
    return Scoring.model_validate(
        {
            "min_score": 50,
            "source": "t",
            "classes": [
                {"name": "良", "name_en": "good", "min_score": 50},
                {"name": "差", "name_en": "poor", "min_score": 0},
            ],
            "slope_limits": [{"id": "n", "name": "n", "max_pct": 15, "source": "t"}],
            "natural_slope_limit": "n",
            "planned_slope_limit": "n",
            "criteria": crit,
            "constraints": [
                {
                    "id": "blocked",
                    "measure": "blocked",
                    "op": ">",
                    "value": 0,
                    "message": "不可用",
                    "message_en": "blocked",
                    "source": "t",
                }
            ],
        }
    )


def make_measures() -> pd.DataFrame:
    """With w = (0.5, 0.5): TOP 100 (best on every criterion), X 50, Y 37.5, BOTTOM 0 (worst on
    every criterion), EXC excluded. Y overtakes X when 0.75·w_b > w_a, i.e. w_b > 4/7: at +20 %
    of b (w = 0.4, 0.6: X 40, Y 45) but not at +10 % (0.45, 0.55: X 45, Y 41.25)."""
    return pd.DataFrame(
        {"a": [1.0, 1.0, 0.0, 0.0, 1.0], "b": [1.0, 0.0, 0.75, 0.0, 1.0], "blocked": [0, 0, 0, 0, 1]},
        index=pd.Index(["TOP", "X", "Y", "BOTTOM", "EXC"], name="parcel_id"),
    )


# --------------------------------------------------------------------------- perturbation rule


@pytest.mark.parametrize(
    ("weights", "j", "change", "expected"),
    [
        ([0.5, 0.5], 1, 0.2, [0.4, 0.6]),
        ([0.5, 0.5], 0, -0.1, [0.45, 0.55]),
        ([0.5, 0.3, 0.2], 0, 0.2, [0.6, 0.24, 0.16]),  # others × (1 − 0.6) / 0.5
        ([0.5, 0.3, 0.2], 2, -0.2, [0.5 * 0.84 / 0.8, 0.3 * 0.84 / 0.8, 0.16]),
        ([0.9, 0.1], 0, 0.2, [1.0, 0.0]),  # 1.08 clipped to 1
        ([0.5, 0.5, 0.0], 2, 0.2, [0.5, 0.5, 0.0]),  # a zero weight stays zero
        ([1.0, 0.0], 0, -0.2, [1.0, 0.0]),  # nothing else can take the weight
    ],
)
def test_perturb_weights(weights, j, change, expected):
    w = perturb_weights(np.array(weights), j, change)
    assert w == pytest.approx(expected)
    assert w.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- one at a time


def test_oat_dominating_parcel_never_moves_and_a_pair_flips_at_plus_20_percent():
    res = one_at_a_time(make_measures(), make_cfg())
    p = res.parcels
    assert p["rank"].to_dict() == pytest.approx(
        {"TOP": 1, "X": 2, "Y": 3, "BOTTOM": 4, "EXC": np.nan}, nan_ok=True
    )
    # best (worst) on every criterion: the rank cannot change under any weights
    assert (p.loc["TOP", "min_rank"], p.loc["TOP", "max_rank"]) == (1, 1)
    assert (p.loc["BOTTOM", "min_rank"], p.loc["BOTTOM", "max_rank"]) == (4, 4)
    assert p.loc["TOP", "max_abs_dscore"] == 0 and p.loc["TOP", "max_rank_shift"] == 0
    # X and Y swap places in some perturbation
    assert (p.loc["X", "min_rank"], p.loc["X", "max_rank"]) == (2, 3)
    assert (p.loc["Y", "min_rank"], p.loc["Y", "max_rank"]) == (2, 3)
    # the largest score change: X 50 → 40 (b +20 %) or 60 (a +20 %); Y 37.5 → 45 or 30
    assert p.loc["X", "max_abs_dscore"] == pytest.approx(10.0)
    assert p.loc["Y", "max_abs_dscore"] == pytest.approx(7.5)
    # excluded: not ranked
    assert p.loc["EXC", ["rank", "min_rank", "max_rank", "max_rank_shift"]].isna().all()
    assert p.loc["EXC", "excluded"]

    runs = res.runs.set_index(["criterion", "change"])
    assert len(runs) == 8
    changed = runs["n_rank_changed"].to_dict()
    # +20 % of b, or −20 % of a (the same weights, 0.4/0.6), flips X and Y; ±10 % does not
    assert changed == {
        ("a", -0.2): 2,
        ("a", -0.1): 0,
        ("a", 0.1): 0,
        ("a", 0.2): 0,
        ("b", -0.2): 0,
        ("b", -0.1): 0,
        ("b", 0.1): 0,
        ("b", 0.2): 2,
    }
    assert runs.loc[("b", 0.2), ["w_a", "w_b"]].tolist() == pytest.approx([0.4, 0.6])
    assert runs.loc[("b", 0.2), "weight"] == pytest.approx(0.6)
    assert runs.loc[("b", 0.2), "max_abs_dscore"] == pytest.approx(10.0)


def test_oat_custom_steps_and_bad_steps():
    res = one_at_a_time(make_measures(), make_cfg(), steps=[0.1])
    assert res.runs["n_rank_changed"].sum() == 0
    assert res.parcels.loc["X", "max_rank"] == 2
    with pytest.raises(ConfigError, match="steps"):
        one_at_a_time(make_measures(), make_cfg(), steps=[-1.5])


# --------------------------------------------------------------------------- Monte Carlo


def test_monte_carlo_dominance_and_flip_share():
    n = 4000
    res = monte_carlo(make_measures(), make_cfg(), n_draws=n, seed=7, top_k=2, concentration=100)
    p = res.parcels
    top = p.loc["TOP"]
    assert (top["mean_rank"], top["rank_std"], top["rank_p05"], top["rank_p95"]) == (1, 0, 1, 1)
    assert top["share_top_k"] == 1.0 and top["share_same_class"] == 1.0
    assert p.loc["BOTTOM", "mean_rank"] == 4 and p.loc["BOTTOM", "share_top_k"] == 0.0

    # w_b ~ Beta(50, 50) under Dirichlet(100·(0.5, 0.5)); Y overtakes X when w_b > 4/7
    p_flip = 1 - beta.cdf(4 / 7, 50, 50)
    assert p.loc["Y", "share_top_k"] == pytest.approx(p_flip, abs=0.02)
    assert p.loc["X", "share_top_k"] == pytest.approx(1 - p_flip, abs=0.02)
    assert p.loc["X", "mean_rank"] == pytest.approx(2 + p_flip, abs=0.02)
    assert (p.loc["X", "rank_p05"], p.loc["X", "rank_p95"]) == (2, 3)
    # X scores 100·w_a: in its class (≥ 50) in about half the draws
    assert p.loc["X", "share_same_class"] == pytest.approx(0.5, abs=0.03)
    assert p.loc["X", "mean_score"] == pytest.approx(50, abs=0.3)
    assert p.loc["X", "score_std"] == pytest.approx(100 * np.sqrt(0.25 / 101), rel=0.05)

    exc = p.loc["EXC"]
    assert exc["excluded"] and exc["class"] == "排除" and not exc["in_top_k"]
    assert (
        exc[["rank", "mean_rank", "rank_std", "rank_p05", "rank_p95", "share_same_class", "share_top_k"]]
        .isna()
        .all()
    )
    assert p["in_top_k"].to_dict() == {"TOP": True, "X": True, "Y": False, "BOTTOM": False, "EXC": False}
    assert res.weights.shape == (n, 2) and np.allclose(res.weights.sum(axis=1), 1.0)


def test_monte_carlo_is_reproducible_with_a_seed():
    a = monte_carlo(make_measures(), make_cfg(), n_draws=300, seed=42)
    b = monte_carlo(make_measures(), make_cfg(), n_draws=300, seed=42)
    c = monte_carlo(make_measures(), make_cfg(), n_draws=300, seed=43)
    pd.testing.assert_frame_equal(a.parcels, b.parcels)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    assert not np.allclose(a.weights.to_numpy(), c.weights.to_numpy())


def test_monte_carlo_chunks_give_the_same_answer(monkeypatch):
    import scoring.sensitivity as sens

    whole = monte_carlo(make_measures(), make_cfg(), n_draws=500, seed=1)
    monkeypatch.setattr(sens, "_CHUNK_CELLS", 7)  # 1 draw per chunk for 5 parcels
    chunked = monte_carlo(make_measures(), make_cfg(), n_draws=500, seed=1)
    pd.testing.assert_frame_equal(whole.parcels, chunked.parcels)


@pytest.mark.parametrize("scheme", ["dirichlet", "uniform"])
def test_drawn_weights_centre_on_the_chosen_ones(scheme):
    w = np.array([0.5, 0.3, 0.2, 0.0])
    W = draw_weights(w, 20_000, np.random.default_rng(0), scheme=scheme, concentration=100, spread=0.2)
    assert np.allclose(W.sum(axis=1), 1.0)
    assert np.all(W[:, 3] == 0)  # a zero weight stays zero
    assert W.mean(axis=0) == pytest.approx(w, abs=0.005)
    if scheme == "dirichlet":
        # sd of a Dirichlet component: √(w(1 − w)/(κ + 1))
        assert W[:, :3].std(axis=0) == pytest.approx(np.sqrt(w[:3] * (1 - w[:3]) / 101), rel=0.05)
    else:
        ratio = W[:, :3] / w[:3]
        assert ratio.min() >= 0.8 / 1.2 - 1e-9 and ratio.max() <= 1.2 / 0.8 + 1e-9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_draws": 0}, "n_draws"),
        ({"top_k": 0}, "top_k"),
        ({"scheme": "normal"}, "unknown scheme"),
        ({"concentration": 0}, "concentration"),
        ({"scheme": "uniform", "spread": 1.0}, "spread"),
    ],
)
def test_bad_monte_carlo_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        monte_carlo(make_measures(), make_cfg(), **kwargs)


def test_monte_carlo_uses_weight_override_and_method():
    # all weight on a: X (a = 1) always beats Y (a = 0)
    res = monte_carlo(make_measures(), make_cfg(), weights={"a": 1, "b": 0}, n_draws=50, top_k=2)
    assert res.parcels.loc["X", "share_top_k"] == 1.0
    assert np.all(res.weights["b"] == 0)
    res = monte_carlo(make_measures(), make_cfg(), method="weighted_product", n_draws=50, top_k=1)
    # product: X has b = 0 → 0 in every draw
    assert res.parcels.loc["X", "mean_score"] == 0.0
