"""The import page's field table (:mod:`app.sources.mapping_edit`): the targets of each layer
with the source field filling each, and the page's choices written back into the mapping."""

from __future__ import annotations

import geopandas as gpd
import pytest
import yaml
from shapely import box

from app.sources.convert import ConvertedLayer
from app.sources.mapping_edit import apply_choices, field_table, targets_of
from gis.errors import ConfigError
from gis.layers import LayerReport

MAPPING = """\
layers:
  parcels:
    file: 控规.dxf
    fields:
      parcel_id: label
      park: {value: main}
      status: {field: DLBM, codes: dlbm, take: status}
      investment_wan: {field: 投资额, unit: 元}
  parks:
    file: 园区.shp
"""


def _converted(name: str, fields: list[str]) -> ConvertedLayer:
    frame = gpd.GeoDataFrame({f: ["x"] for f in fields}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4546")
    report = LayerReport("f.shp", None, "ESRI Shapefile", 1, "EPSG:4546", "EPSG:4546")
    return ConvertedLayer(name, frame, report, fields)


def test_targets_required_first_then_optional_then_the_mappings_own():
    assert targets_of("parks") == [("park_id", True), ("name", False), ("name_en", False)]
    assert targets_of("parcels", {"investment_wan": "投资额"})[-1] == ("investment_wan", False)
    assert [t for t, req in targets_of("parcels") if req] == ["parcel_id", "park", "status"]


def test_field_table_says_what_fills_each_target():
    table = field_table(
        MAPPING,
        {
            "parcels": _converted("parcels", ["label", "DLBM", "投资额", "面积"]),
            "parks": _converted("parks", ["park_id", "园区名称"]),
        },
    )
    rows = {r["field"]: r for r in table["parcels"]["targets"]}
    assert table["parcels"]["sources"] == ["label", "DLBM", "投资额", "面积"]
    assert (rows["parcel_id"]["source"], rows["parcel_id"]["how"]) == ("label", "field")
    assert (rows["park"]["how"], rows["park"]["value"]) == ("value", "main")
    assert (rows["status"]["source"], rows["status"]["how"]) == ("DLBM", "codes")
    assert (rows["investment_wan"]["source"], rows["investment_wan"]["how"]) == ("投资额", "unit")
    assert rows["enterprise"]["source"] is None and not rows["enterprise"]["required"]
    # a layer without 'fields' keeps its own: a target is filled where the file has that name
    parks = {r["field"]: r["source"] for r in table["parks"]["targets"]}
    assert parks == {"park_id": "park_id", "name": None, "name_en": None}


def test_field_table_of_an_unread_file_offers_no_sources():
    assert field_table(MAPPING, {})["parcels"]["sources"] == []
    assert field_table("", {}) == {} and field_table("crs: EPSG:4525\n", {}) == {}


def test_choices_are_written_into_the_mapping():
    text = apply_choices(
        MAPPING,
        {
            "parcels": {
                "enterprise": "权利人",
                "status": "用地性质",
                "investment_wan": "",
                "parcel_id": "地块编号",
            },
            "parks": {"name": "园区名称"},
        },
    )
    layers = yaml.safe_load(text)["layers"]
    fields = layers["parcels"]["fields"]
    assert fields["enterprise"] == "权利人" and fields["parcel_id"] == "地块编号"
    # codes and unit kept, only the source field changed; an empty choice removes the target
    assert fields["status"] == {"field": "用地性质", "codes": "dlbm", "take": "status"}
    assert "investment_wan" not in fields and fields["park"] == {"value": "main"}
    # a layer that had no 'fields' gets them and keeps its other fields
    assert layers["parks"]["fields"] == {"name": "园区名称"} and layers["parks"]["keep_unmapped"] is True
    assert layers["parcels"]["file"] == "控规.dxf" and "权利人" in text  # Chinese kept as text


@pytest.mark.parametrize(
    ("choices", "where"),
    [
        ({"roads": {"road_id": "编号"}}, "mapping: layers.roads"),
        ({"nonsense": {"x": "y"}}, "mapping: layers.nonsense"),
        ({"parcels": {"colour": "颜色"}}, "mapping: layers.parcels.fields.colour"),
    ],
)
def test_choices_for_what_the_mapping_lacks_are_refused(choices, where):
    with pytest.raises(ConfigError) as e:
        apply_choices(MAPPING, choices)
    assert e.value.where == where


def test_choices_need_a_mapping_with_layers():
    with pytest.raises(ConfigError) as e:
        apply_choices("crs: EPSG:4525\n", {"parcels": {"parcel_id": "x"}})
    assert e.value.msg is not None and e.value.msg.id == "import.mapping.no_layers"
    with pytest.raises(ConfigError) as e:
        apply_choices("layers: [unclosed\n", {"parcels": {"parcel_id": "x"}})
    assert e.value.msg is not None and e.value.msg.id == "import.mapping.yaml"
