"""Scope: what a user may see, by role and place in the area tree.

Area codes nest by prefix (``36.02`` > ``36.02.01`` > ``36.02.01.2001``), so "inside my area" is
a prefix test that SQL answers with an index. A family sees only the children linked to it; a
kader only their posyandu's; bidan and TPK their desa's; a koordinator their subtree; admin all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, select, true
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
    return and_(column >= code, column < code + "/")


def child_filter(scope: Scope) -> ColumnElement[bool]:
    """The WHERE clause limiting ``Child`` rows (joined with ``Posyandu``) to the scope."""
    if scope.is_admin:
        return true()
    if scope.role == "keluarga":
        return Child.parent_user_id == scope.user_id
    if scope.role == "kader" and scope.posyandu_id is not None:
        return Child.posyandu_id == scope.posyandu_id
    if scope.role in ("koordinator", "bidan", "tpk") and scope.area_code:
        return in_subtree(Posyandu.desa_code, scope.area_code)
    return false()


def children_query(scope: Scope) -> Select:
    return (
        select(Child)
        .join(Posyandu, Posyandu.id == Child.posyandu_id)
        .where(child_filter(scope))
    )


async def get_child(session: AsyncSession, scope: Scope, child_id: int) -> Child | None:
    """The child if this user may see it, else None (the caller cannot tell 'absent' apart)."""
    row = await session.execute(children_query(scope).where(Child.id == child_id))
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
