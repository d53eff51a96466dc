"""Scope: what a user may see, by role and place in the area tree.

Area codes nest by prefix (``36.02`` > ``36.02.01`` > ``36.02.01.2001``), so "inside my area" is
a prefix test that SQL answers with an index. A family sees only the children linked to it; a
kader only their posyandu's; bidan and TPK their desa's; a koordinator their subtree; admin all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Child, Posyandu, User


@dataclass(frozen=True, slots=True)
class Scope:
    user_id: int
    role: str | None
    area_code: str | None
    posyandu_id: int | None

    @classmethod
    def of(cls, user: User) -> Scope:
        return cls(user.id, user.role, user.area_code, user.posyandu_id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def covers_area(self, code: str) -> bool:
        """Is the area ``code`` inside this user's area?"""
        if self.is_admin:
            return True
        if self.role in ("koordinator", "bidan", "tpk", "peserta") and self.area_code:
            return code == self.area_code or code.startswith(self.area_code + ".")
        return False


def in_subtree(column, code: str) -> ColumnElement[bool]:
    """``column`` (an area code) is ``code`` or lies below it. One range, so a B-tree index
    serves it on both engines (SQLite's LIKE is case-insensitive and cannot; an OR of the code
    and its subtree made SQLite pick a worse index): codes are digits and dots, and "/" follows
    "." in ASCII, so "36.02" <= "36.02.01.2001" < "36.02/" while "36.020" is past the end."""
    return and_(column >= code, column < subtree_end(code))


def subtree_end(code: str) -> str:
    """The first code past ``code``'s subtree (see ``in_subtree``)."""
    return code + "/"


# The scope's WHERE clause on ``Child`` (joined with ``Posyandu``) for each kind of reader, with
# the place as bound parameters: the statements below are built once and run for every /anak.
_CHILD_FILTERS: dict[str, ColumnElement[bool]] = {
    "all": true(),
    "family": Child.parent_user_id == bindparam("scope_user"),
    "posyandu": Child.posyandu_id == bindparam("scope_posyandu"),
    "area": and_(Posyandu.desa_code >= bindparam("scope_area"),  # in_subtree, bound
                 Posyandu.desa_code < bindparam("scope_area_end")),
    "none": false(),
}


def child_filter(scope: Scope) -> tuple[str, dict]:
    """Which of ``_CHILD_FILTERS`` limits ``Child`` rows to the scope, and its parameters."""
    if scope.is_admin:
        return "all", {}
    if scope.role == "keluarga":
        return "family", {"scope_user": scope.user_id}
    if scope.role == "kader" and scope.posyandu_id is not None:
        return "posyandu", {"scope_posyandu": scope.posyandu_id}
    if scope.role in ("koordinator", "bidan", "tpk") and scope.area_code:
        return "area", {"scope_area": scope.area_code,
                        "scope_area_end": subtree_end(scope.area_code)}
    return "none", {}


@cache
def scoped_children(kind: str) -> Select:
    """The children a ``kind`` of scope (see ``child_filter``) may see."""
    return select(Child).join(Posyandu, Posyandu.id == Child.posyandu_id).where(
        _CHILD_FILTERS[kind])


_ONE_CHILD = {kind: scoped_children(kind).where(Child.id == bindparam("child"))
              for kind in _CHILD_FILTERS}


async def get_child(session: AsyncSession, scope: Scope, child_id: int) -> Child | None:
    """The child if this user may see it, else None (the caller cannot tell 'absent' apart)."""
    kind, params = child_filter(scope)
    row = await session.execute(_ONE_CHILD[kind], {**params, "child": child_id})
    return row.scalar_one_or_none()


def posyandu_query(scope: Scope) -> Select:
    query = select(Posyandu)
    if scope.is_admin:
        return query
    if scope.role in ("kader", "keluarga"):
        return query.where(Posyandu.id == (scope.posyandu_id or -1))
    if scope.area_code:
        return query.where(in_subtree(Posyandu.desa_code, scope.area_code))
    return query.where(false())
