"""gis.topology on small rectangles (metres): reshape with yield, split along a line, merge, a
tiling simplified together."""

from __future__ import annotations

import pytest
import shapely
from shapely import box
from shapely.geometry import LineString, Polygon

from gis.errors import GeometryError
from gis.topology import (
    across_moved_edge,
    merge_polygons,
    reshape_with_yield,
    simplify_tiling,
    split_polygon,
    without_hairlines,
)

A, B = box(0, 0, 500, 600), box(500, 0, 1000, 600)  # two neighbours sharing x = 500


def test_enlarging_takes_from_the_neighbour_only_what_is_covered():
    r = reshape_with_yield(A, box(0, 0, 620, 600), {"b": B})
    assert r.neighbours["b"].equals(box(620, 0, 1000, 600))
    assert r.taken == {"b": 120 * 600} and r.given == {} and r.unassigned is None


def test_shrinking_gives_the_strip_to_the_neighbour_across_the_moved_edge():
    r = reshape_with_yield(A, box(0, 0, 400, 600), {"b": B})
    assert r.neighbours["b"].equals(box(400, 0, 1000, 600))
    assert r.given == {"b": 100 * 600} and r.unassigned_m2 == 0


def test_shrinking_at_the_outer_edge_leaves_the_strip_unassigned():
    """The freed 500 × 100 strip's old edge runs 600 m along the park edge and 100 m along B."""
    r = reshape_with_yield(A, box(0, 100, 500, 600), {"b": B})
    assert r.neighbours == {} and r.unassigned_m2 == 500 * 100
    assert r.unassigned.equals(box(0, 0, 500, 100))


def test_the_moved_edge_decides_between_two_neighbours():
    """A corner strip touching both B (east, 100 m) and C (south, 500 m): C gets it."""
    c = box(0, -300, 1000, 0)
    part = box(0, 0, 500, 100)
    assert across_moved_edge(part, A, {"b": B, "c": c}) == "c"


def test_hairlines_of_a_round_trip_move_nobody():
    """An outline whose shared edge moved 1 mm either way changes no neighbour and frees nothing."""
    for dx in (-0.001, 0.001):
        r = reshape_with_yield(A, box(0, 0, 500 + dx, 600), {"b": B})
        assert r.neighbours == {} and r.unassigned is None
        assert abs(r.outline.area - max(A.area, A.area + dx * 600)) < 1e-6


def test_a_neighbour_covered_whole_is_refused_in_mu():
    with pytest.raises(GeometryError) as err:
        reshape_with_yield(A, box(0, 0, 1000, 600), {"b": B}, subject="甲", names={"b": "乙"})
    assert err.value.msg.id == "error.topology.swallowed"
    assert err.value.msg.params["other"] == "乙" and err.value.msg.params["mu"] == "450.00"


def test_split_left_and_right_as_drawn():
    left, right = split_polygon(A, LineString([(250, -10), (250, 610)]))  # northwards
    assert left.equals(box(0, 0, 250, 600)) and right.equals(box(250, 0, 500, 600))
    left, right = split_polygon(A, LineString([(250, 610), (250, -10)]))  # southwards: swapped
    assert left.equals(box(250, 0, 500, 600))


def test_split_along_a_bent_line_keeps_the_area():
    """East along y = 100, then north along x = 300: left is the 300 × 500 block north-west."""
    left, right = split_polygon(A, LineString([(-10, 100), (300, 100), (300, 610)]))
    assert left.equals(box(0, 100, 300, 600))
    assert abs(left.area + right.area - A.area) < 1e-6


def test_a_line_that_does_not_cross_is_refused():
    with pytest.raises(GeometryError) as err:
        split_polygon(A, LineString([(250, 100), (250, 300)]), subject="甲")
    assert err.value.msg.id == "error.topology.split_no_cut"


def test_merge_needs_a_shared_edge():
    assert merge_polygons(A, B).equals(box(0, 0, 1000, 600))
    with pytest.raises(GeometryError) as err:
        merge_polygons(A, box(500, 600, 600, 700))  # a corner only
    assert err.value.msg.id == "error.topology.not_adjacent"


def test_merge_closes_a_hairline_gap():
    merged = merge_polygons(A, box(500.01, 0, 1000, 600))
    assert merged.geom_type == "MultiPolygon" and len(merged.geoms) == 1
    assert abs(merged.area - 1000 * 600) < 1


def test_without_hairlines_keeps_only_real_parts():
    """A 2 cm strip up the side of a block: the part beside the block is part of it, the rest goes."""
    g = box(0, 0, 100, 100).union(box(100, 0, 100.02, 500))
    assert without_hairlines(g).symmetric_difference(box(0, 0, 100.02, 100)).area < 1e-3


def test_a_tiling_simplified_together_keeps_its_shared_edge_within_the_tolerance():
    """A shared edge at x = 500 with a vertex every 10 m, every other one 0.3 m east."""
    edge = [(500 + (0.3 if k % 2 else 0.0), 10 * k) for k in range(61)]
    west = Polygon([(0, 0), *edge, (0, 600)])
    east = Polygon([*edge, (1000, 600), (1000, 0)])
    (w, e), dev = simplify_tiling([west, east], 0.5)
    assert shapely.get_num_coordinates(w) <= 6 and shapely.get_num_coordinates(e) <= 6
    assert w.intersection(e).area < 1e-6 and abs(w.union(e).area - 600_000) < 1e-6
    assert max(dev) <= 0.5 and dev[0] >= 0.29
    (w, e), dev = simplify_tiling([west, east], 0.1)  # the bumps are larger than 0.1 m: kept
    assert shapely.get_num_coordinates(w) > 60 and max(dev) <= 0.1
    assert simplify_tiling([None, east], 0.5)[0][0] is None
