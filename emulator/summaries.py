"""Annotation summaries: a message's annotations, in the order they were published, aggregated by type
as Ably does for `total.v1`, `flag.v1`, `distinct.v1`, `unique.v1` and `multiple.v1`. Pure functions:
a summary is recomputed from the annotations, so a journal reload or a resume cannot drift from it."""

from __future__ import annotations

CREATE, DELETE = 0, 1  # annotation.create, annotation.delete
METHODS = ("total.v1", "flag.v1", "distinct.v1", "unique.v1", "multiple.v1")
# The methods that count who contributed, so need an identified client (multiple.v1 counts anonymous ones apart).
NEEDS_CLIENT_ID = ("flag.v1", "distinct.v1", "unique.v1")


def method_of(annotation_type: str) -> str | None:
    """`reaction:distinct.v1` -> `distinct.v1`; None for a method Ably does not summarise."""
    method = annotation_type.rpartition(":")[2]
    return method if method in METHODS else None


def summarize(annotations: list[dict]) -> dict:
    """The `annotations.summary` of a message: one entry per annotation type that has contributions."""
    by_type: dict[str, list[dict]] = {}
    for annotation in annotations:
        by_type.setdefault(annotation["type"], []).append(annotation)
    summary = {}
    for annotation_type, items in by_type.items():
        method = method_of(annotation_type)
        if method is None:
            continue
        entry = _AGGREGATORS[method](items)
        if entry:
            summary[annotation_type] = entry
    return summary


def _client_list(client_ids: list[str]) -> dict:
    return {"total": len(client_ids), "clientIds": list(client_ids), "clipped": False}


def _total(items: list[dict]) -> dict:
    # Contributions are anonymous, so a delete has nothing it could take back.
    total = sum(1 for a in items if a["action"] == CREATE)
    return {"total": total} if total else {}


def _flag(items: list[dict]) -> dict:
    clients: dict[str, None] = {}  # ordered by first contribution
    for a in items:
        if a["action"] == CREATE:
            clients[a["clientId"]] = None
        else:
            clients.pop(a["clientId"], None)
    return _client_list(list(clients)) if clients else {}


def _distinct(items: list[dict]) -> dict:
    names: dict[str, dict[str, None]] = {}
    for a in items:
        name = a.get("name") or ""
        if a["action"] == CREATE:
            names.setdefault(name, {})[a["clientId"]] = None
        elif name in names:
            names[name].pop(a["clientId"], None)
    return {name: _client_list(list(clients)) for name, clients in names.items() if clients}


def _unique(items: list[dict]) -> dict:
    chosen: dict[str, str] = {}  # clientId -> the one name it counts for
    for a in items:
        name = a.get("name") or ""
        if a["action"] == CREATE:
            chosen.pop(a["clientId"], None)  # a new name replaces the old one (and moves to the end)
            chosen[a["clientId"]] = name
        elif chosen.get(a["clientId"]) == name or not a.get("name"):
            chosen.pop(a["clientId"], None)
    names: dict[str, list[str]] = {}
    for client_id, name in chosen.items():
        names.setdefault(name, []).append(client_id)
    return {name: _client_list(clients) for name, clients in names.items()}


def _multiple(items: list[dict]) -> dict:
    names: dict[str, dict] = {}
    for a in items:
        name = a.get("name") or ""
        entry = names.setdefault(name, {"clientIds": {}, "totalUnidentified": 0})
        client_id = a.get("clientId")
        if a["action"] == CREATE:
            count = a.get("count", 1)
            if client_id is None:
                entry["totalUnidentified"] += count
            else:
                entry["clientIds"][client_id] = entry["clientIds"].get(client_id, 0) + count
        elif client_id is not None:
            entry["clientIds"].pop(client_id, None)  # all of that client's contributions to the name
    out = {}
    for name, entry in names.items():
        total = sum(entry["clientIds"].values()) + entry["totalUnidentified"]
        if total:
            out[name] = {
                "total": total,
                "clientIds": entry["clientIds"],
                "totalUnidentified": entry["totalUnidentified"],
                "clipped": False,
                "totalClientIds": len(entry["clientIds"]),
            }
    return out


_AGGREGATORS = {
    "total.v1": _total,
    "flag.v1": _flag,
    "distinct.v1": _distinct,
    "unique.v1": _unique,
    "multiple.v1": _multiple,
}
