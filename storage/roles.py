"""Roles of the people who use Tumbuh, and which place each role belongs to.

admin; koordinator (programme coordinator of an area: PKB/PLKB in a kecamatan, Dinas PPKB in a
kabupaten, TPPS); bidan (village midwife, of a desa); kader (posyandu volunteer, of a posyandu);
tpk (Tim Pendamping Keluarga, of a desa); keluarga (a family member who joined with consent, of a
posyandu); peserta (a Jum'at Serius participant or donor, of an area).
"""

ADMIN, KOORDINATOR, BIDAN, KADER, TPK, KELUARGA, PESERTA = (
    "admin", "koordinator", "bidan", "kader", "tpk", "keluarga", "peserta",
)
ROLES = (ADMIN, KOORDINATOR, BIDAN, KADER, TPK, KELUARGA, PESERTA)
STAFF = (ADMIN, KOORDINATOR, BIDAN, KADER, TPK)
# Which place an invite for a role names: a posyandu, a desa, or any area.
PLACE_OF_ROLE = {
    ADMIN: None,
    KOORDINATOR: "area",
    BIDAN: "desa",
    TPK: "desa",
    KADER: "posyandu",
    KELUARGA: "posyandu",
    PESERTA: "area",
}
