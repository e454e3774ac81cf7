"""ISO 3166-1 alpha-2 country codes: which are real, and what an editor meant by a wrong one.

A two-letter pattern accepts ``UK``, ``EU`` or ``XX``, and a sheet would then
publish a country that does not exist. The list is data in the code (no
download, no package that may lag or lead): the 249 codes officially assigned
by the ISO 3166 Maintenance Agency.
"""

from __future__ import annotations

ASSIGNED = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
""".split())

# Codes editors write that ISO does not assign to a country (reserved, retired, or
# another body's abbreviation), with what to write instead.
INSTEAD = {
    "UK": "the United Kingdom is GB (UK is only reserved in ISO 3166-1)",
    "EL": "Greece is GR (EL is the European Union's abbreviation, not ISO's)",
    "EU": "the European Union is not a country: list its member states, or name it as an entity",
    "UN": "the United Nations is not a country: name it as an entity",
    "FX": "France is FR (FX, metropolitan France, is only reserved)",
    "IC": "the Canary Islands are part of Spain: ES",
    "EA": "Ceuta and Melilla are part of Spain: ES",
    "AC": "Ascension Island is part of Saint Helena, Ascension and Tristan da Cunha: SH",
    "TA": "Tristan da Cunha is part of Saint Helena, Ascension and Tristan da Cunha: SH",
    "DG": "Diego Garcia is in the British Indian Ocean Territory: IO",
    "BU": "Burma is now Myanmar: MM",
    "TP": "East Timor is now Timor-Leste: TL",
    "ZR": "Zaire is now the Democratic Republic of the Congo: CD",
    "SU": "the Soviet Union no longer exists: use the code of the present-day country, e.g. RU or UA",
    "YU": "Yugoslavia no longer exists: use the code of the present-day country, e.g. RS",
    "CS": "Serbia and Montenegro are now RS and ME",
    "AN": "the Netherlands Antilles are now BQ, CW and SX",
}


def problem(code: str) -> str | None:
    """None for an officially assigned code; otherwise a hint saying what to write."""
    if code in ASSIGNED:
        return None
    upper = code.upper()
    if upper in INSTEAD:
        return INSTEAD[upper]
    if upper in ASSIGNED:
        return f"write it in capitals: {upper}"
    return "use an officially assigned ISO 3166-1 alpha-2 code, such as CN, US or GB"
