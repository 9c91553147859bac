"""HubSpot-defined association types between the routine's objects, and the association store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.hubspot.errors import bad_request


@dataclass(frozen=True)
class AssociationType:
    type_id: int
    from_type: str
    to_type: str
    inverse: int
    name: str  # as v3 reads show it
    label: str | None = None  # "Primary" for the primary company, unlabelled otherwise


_PAIRS: tuple[tuple[int, int, str, str, str | None], ...] = (
    # (forward id, inverse id, from, to, label)
    (1, 2, "contacts", "companies", "Primary"),
    (279, 280, "contacts", "companies", None),
    (3, 4, "deals", "contacts", None),
    (5, 6, "deals", "companies", "Primary"),
    (341, 342, "deals", "companies", None),
    (16, 15, "tickets", "contacts", None),
    (26, 25, "tickets", "companies", "Primary"),
    (339, 340, "tickets", "companies", None),
    (28, 27, "tickets", "deals", None),
    (228, 227, "notes", "tickets", None),
    (202, 201, "notes", "contacts", None),
    (190, 189, "notes", "companies", None),
    (214, 213, "notes", "deals", None),
)


def _singular(object_type: str) -> str:
    return "company" if object_type == "companies" else object_type[:-1]


def _build() -> dict[int, AssociationType]:
    table: dict[int, AssociationType] = {}
    for forward, inverse, from_type, to_type, label in _PAIRS:
        for type_id, other, a, b in ((forward, inverse, from_type, to_type), (inverse, forward, to_type, from_type)):
            base = f"{_singular(a)}_to_{_singular(b)}"
            # v3 reads call the primary type "x_to_y" and the plain one "x_to_y_unlabeled" where a primary exists.
            has_primary = any(lbl == "Primary" and {f, t} == {a, b} for _, _, f, t, lbl in _PAIRS)
            name = base if label == "Primary" or not has_primary else f"{base}_unlabeled"
            table[type_id] = AssociationType(type_id, a, b, other, name, label)
    return table


TYPES = _build()


def default_type(from_type: str, to_type: str) -> AssociationType:
    """The unlabelled HUBSPOT_DEFINED type between two object types."""
    for association in TYPES.values():
        if association.from_type == from_type and association.to_type == to_type and association.label is None:
            return association
    raise bad_request(f"No default association type exists between {from_type} and {to_type}.")


def check_type(type_id: int, category: str, from_type: str, to_type: str | None = None) -> AssociationType:
    association = TYPES.get(type_id)
    if category != "HUBSPOT_DEFINED" or association is None or association.from_type != from_type:
        raise bad_request(
            f"{category} {type_id} is not a valid association type from {from_type}"
            + (f" to {to_type}" if to_type else "")
        )
    if to_type is not None and association.to_type != to_type:
        raise bad_request(f"association type {type_id} goes from {from_type} to {association.to_type}, not {to_type}")
    return association


class AssociationStore:
    """Edges kept in the app's JSON state as [from_type, from_id, to_type, to_id, type_id], both directions."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.edges: list[list[Any]] = state.setdefault("associations", [])

    def add(self, from_type: str, from_id: str, to_id: str, association: AssociationType) -> bool:
        """Store the edge and its inverse; False when it already existed."""
        edge = [from_type, from_id, association.to_type, to_id, association.type_id]
        if edge in self.edges:
            return False
        self.edges.append(edge)
        self.edges.append([association.to_type, to_id, from_type, from_id, association.inverse])
        return True

    def remove(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        pair = ([from_type, from_id, to_type, to_id], [to_type, to_id, from_type, from_id])
        self.edges[:] = [edge for edge in self.edges if edge[:4] not in pair]

    def remove_object(self, object_type: str, object_id: str) -> None:
        self.edges[:] = [
            edge
            for edge in self.edges
            if [edge[0], edge[1]] != [object_type, object_id] and [edge[2], edge[3]] != [object_type, object_id]
        ]

    def targets(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[int]]:
        """Associated ids (in the order first associated) and their type ids."""
        found: dict[str, list[int]] = {}
        for edge in self.edges:
            if edge[0] == from_type and edge[1] == from_id and edge[2] == to_type:
                found.setdefault(edge[3], []).append(edge[4])
        return found
