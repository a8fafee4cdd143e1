"""The import page's field table, and a user's choices in it written back into the mapping.

For each layer the mapping names, :func:`field_table` lists the parksite fields the layer needs
(``required``) or may carry (``optional``, :data:`app.db.import_layers.LAYERS`), the source
fields on offer (after joins and overlays), and the source field filling each target now.
:func:`apply_choices` takes ``{layer: {target: source field or ""}}`` from the page and returns
the mapping text with those choices made: a plain source field replaces the target's entry, a
target with codes or a unit keeps them and changes only its ``field``, an empty choice removes
the target. The YAML is written anew (its comments are not kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from app.db.import_layers import LAYERS
from app.sources.convert import ConvertedLayer
from gis.errors import ConfigError
from gis.messages import msg


def targets_of(layer: str, mapped: Mapping[str, Any] | None = None) -> list[tuple[str, bool]]:
    """Return ``(target field, required)`` for parksite layer ``layer``: the required fields,
    the optional ones, then any other target the mapping already fills."""
    spec = LAYERS[layer]
    out = [(f, True) for f in spec.required] + [(f, False) for f in spec.optional if f not in spec.required]
    known = {f for f, _ in out}
    out += [(f, False) for f in (mapped or {}) if f not in known]
    return out


def _parse(text: str | None) -> dict[str, Any]:
    if not text or not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(
            f"the field mapping is not valid YAML: {e}",
            where="mapping",
            msg=msg("import.mapping.yaml", detail=str(e).splitlines()[0]),
        ) from e
    return data if isinstance(data, dict) else {}


def _source_of(entry: Any) -> tuple[str | None, str]:
    """The source field a mapping entry reads and how: ("名称", "field"), ("DLBM", "codes"),
    (None, "value")."""
    if isinstance(entry, str):
        return entry, "field"
    if isinstance(entry, dict):
        if "value" in entry:
            return None, "value"
        how = "codes" if entry.get("codes") else "unit" if entry.get("unit") else "field"
        return (str(entry["field"]) if entry.get("field") is not None else None), how
    return None, "field"


def field_table(
    mapping_text: str | None, converted: Mapping[str, ConvertedLayer]
) -> dict[str, dict[str, Any]]:
    """Return, per layer of the mapping: ``sources`` (the source field names, [] when the file
    could not be read) and ``targets`` — each ``{field, required, source, how, value}`` where
    ``how`` is ``field``, ``codes``, ``unit`` or ``value`` (a constant ``value``) and ``source``
    is None for a target nothing fills."""
    layers = _parse(mapping_text).get("layers")
    if not isinstance(layers, dict):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, spec in layers.items():
        if name not in LAYERS or not isinstance(spec, dict):
            continue
        fields = spec.get("fields") if isinstance(spec.get("fields"), dict) else {}
        c = converted.get(name)
        sources = list(c.source_fields) if c is not None else []
        rows = []
        for target, required in targets_of(name, fields):
            if fields:
                source, how = _source_of(fields.get(target)) if target in fields else (None, "field")
            else:  # no 'fields': the layer keeps its own fields as they are
                source, how = (target if target in sources else None), "field"
            entry = fields.get(target)
            value = entry.get("value") if isinstance(entry, dict) and how == "value" else None
            rows.append({"field": target, "required": required, "source": source, "how": how, "value": value})
        out[name] = {"sources": sources, "targets": rows}
    return out


def apply_choices(mapping_text: str, choices: Mapping[str, Mapping[str, str | None]]) -> str:
    """Return ``mapping_text`` with each ``choices[layer][target]`` (a source field, or ""/None
    to leave the target unfilled) made; ConfigError naming the layer or target that is not in
    the mapping or not a parksite field. A layer that had no ``fields`` gets them and
    ``keep_unmapped: true``, so its other fields stay as they were."""
    data = _parse(mapping_text)
    layers = data.get("layers")
    if not isinstance(layers, dict):
        raise ConfigError(
            "the field mapping has no layers to choose fields for",
            where="mapping",
            msg=msg("import.mapping.no_layers"),
        )
    for layer, chosen in choices.items():
        spec = layers.get(layer)
        if layer not in LAYERS or not isinstance(spec, dict):
            raise ConfigError(
                f"layer {layer!r} is not in the field mapping",
                where=f"mapping: layers.{layer}",
                msg=msg("import.mapping.unknown_layer", layer=layer),
            )
        fields = spec.get("fields") if isinstance(spec.get("fields"), dict) else None
        if fields is None:
            fields = {}
            spec["keep_unmapped"] = True
        known = {t for t, _ in targets_of(layer, fields)}
        for target, source in chosen.items():
            if target not in known:
                raise ConfigError(
                    f"{target!r} is not a field of layer {layer!r}",
                    where=f"mapping: layers.{layer}.fields.{target}",
                    msg=msg("import.mapping.unknown_target", layer=layer, target=target),
                )
            entry = fields.get(target)
            if not source:
                fields.pop(target, None)
            elif isinstance(entry, dict) and "value" not in entry:
                entry["field"] = source
            else:
                fields[target] = source
        spec["fields"] = fields
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
