"""JSON Schemas (draft 2020-12) for editors, generated from the loader's field definitions.

One source of truth: `policy.schema` is what the loader validates against; this module only
translates it. taplo / Even Better TOML read the `#:schema` directive at the top of a file.
"""

from __future__ import annotations

from collections.abc import Mapping

from boundaries.core.vocabulary import DAYS, PLACEHOLDERS
from boundaries.policy import schema as S
from boundaries.policy.schema import Field

DRAFT = "https://json-schema.org/draft/2020-12/schema"
WINDOW = r"^(([01][0-9]|2[0-3]):[0-5][0-9])-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
_DAY = "|".join(DAYS)
DAY_KEY = rf"^(daily|({_DAY})(-({_DAY}))?)$"
KINDS = ("me", "clients", "tier", "replies", "checks")


def _field(f: Field) -> dict:
    out: dict = {}
    if f.doc:
        out["description"] = f.doc
    t = f.type
    if t == "string":
        out["type"] = "string"
        if f.enum:
            out["enum"] = list(f.enum)
        if f.pattern:
            out["pattern"] = f.pattern
    elif t == "bool":
        out["type"] = "boolean"
    elif t == "int":
        out["type"] = "integer"
        if f.minimum is not None:
            out["minimum"] = f.minimum
        if f.maximum is not None:
            out["maximum"] = f.maximum
    elif t == "date":
        out.update(type="string", format="date")
    elif t == "strings":
        item: dict = {"type": "string"}
        if f.enum:
            item["enum"] = list(f.enum)
        out.update(type="array", items=item)
    elif t == "table":
        out.update(_table(f.fields))
    elif t == "tables":
        out.update(type="array", items=_table(f.fields))
    elif t == "map":
        assert f.values is not None
        out.update(type="object", additionalProperties=_field(f.values))
    elif t == "hours":
        window = {"type": "string", "pattern": WINDOW}
        day = {"anyOf": [window, {"const": "off"}, {"type": "array", "items": window}]}
        out.update(type="object", propertyNames={"pattern": DAY_KEY},
                   additionalProperties=day)
    elif t == "window":
        out.update(type="string", pattern=WINDOW)
    elif t == "one-or-many":
        one = {"type": "string", "enum": list(f.enum or ())}
        out["anyOf"] = [one, {"type": "array", "items": one}]
    elif t == "datetime-text":
        out["type"] = "string"
    return out


def _table(fields: Mapping[str, Field]) -> dict:
    schema: dict = {
        "type": "object",
        "properties": {name: _field(f) for name, f in fields.items()},
        "additionalProperties": False,
    }
    required = [name for name, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    return schema


def schema_for(kind: str) -> dict:
    """The JSON Schema of one file kind: me, clients, tier, replies or checks."""
    titles = {"me": ("me.toml", S.ME), "clients": ("clients.toml", S.CLIENTS),
              "tier": ("tiers/<tier>.toml", S.TIER), "checks": ("checks.toml", S.CHECKS)}
    if kind == "replies":
        body: dict = {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "template key -> text; placeholders: "
                      + ", ".join("{" + p + "}" for p in PLACEHOLDERS)}
        title = "replies/<locale>.toml"
    else:
        title, fields = titles[kind]
        body = _table(fields)
    return {"$schema": DRAFT, "$id": f"boundaries-{kind}.schema.json",
            "title": f"boundaries {title}", **body}


def bundle() -> dict:
    """All kinds in one document, under `$defs` (for `boundaries schema` without --kind)."""
    return {"$schema": DRAFT, "$id": "boundaries.schema.json",
            "title": "boundaries policy files",
            "$defs": {kind: schema_for(kind) for kind in KINDS}}
