"""The commands each role sees in its menu (roles themselves: ``storage.roles``).

The lists are the single source for both the platform's command menu (setMyCommands) and
``/menu``'s buttons.
"""

from __future__ import annotations

from storage.roles import ADMIN, BIDAN, KADER, KELUARGA, KOORDINATOR, PESERTA, TPK

# Roles a koordinator may invite into their area (admins only by an admin on the command line).
INVITABLE_BY_KOORDINATOR = (KOORDINATOR, BIDAN, TPK, KADER, PESERTA)

_COMMON = ("bantuan", "bahasa", "batal", "hapusdata")
MENUS: dict[str | None, tuple[str, ...]] = {
    None: ("start", "bantuan", "bahasa"),
    ADMIN: ("menu", "anak", "undang", "jadwal", "siaran", "laporan", "ambang", *_COMMON),
    KOORDINATOR: ("menu", "anak", "undang", "jadwal", "aksi", "siaran", "laporan", "ambang",
                  *_COMMON),
    BIDAN: ("menu", "anak", "sasaran", "laporan", *_COMMON),
    TPK: ("menu", "sasaran", "kunjungan", "skrining_catin", "sasaran_baru", "anak", "laporan",
          *_COMMON),
    KADER: ("menu", "ukur", "anak", "anak_baru", "rekap", "ralat", "konfirmasi", *_COMMON),
    KELUARGA: ("menu", "anak", "tips", "tanya", "berhenti", *_COMMON),
    PESERTA: ("menu", "aksi", *_COMMON),
}


def menu_of(role: str | None) -> tuple[str, ...]:
    return MENUS.get(role, MENUS[None])
