"""ISO 3166-1 alpha-2 country codes, English names, former names and regions.

Written for idtool (not copied from a data set). Used to validate the countries of a
trade declaration and to find countries in CITES annotation text, where they appear as
ISO codes (``BW, NA, ZA``), current names (``Botswana``) or former names
(``Swaziland``, ``Zaire``, ``Burma``). Regions are the rough continental groupings the
annotations use ("the population of Asia", "Central and North America").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babel import Locale

from idtool.errors import BadField
from idtool.i18n import SOURCE_LANGUAGE, get_language

# code;English name;region;aliases separated by |
# regions: africa, asia, europe, north_america, central_america, caribbean,
# south_america, oceania, antarctica
_TABLE = """
AD;Andorra;europe;
AE;United Arab Emirates;asia;
AF;Afghanistan;asia;
AG;Antigua and Barbuda;caribbean;
AI;Anguilla;caribbean;
AL;Albania;europe;
AM;Armenia;asia;
AO;Angola;africa;
AQ;Antarctica;antarctica;
AR;Argentina;south_america;
AS;American Samoa;oceania;
AT;Austria;europe;
AU;Australia;oceania;
AW;Aruba;caribbean;
AX;Åland Islands;europe;Aland Islands
AZ;Azerbaijan;asia;
BA;Bosnia and Herzegovina;europe;
BB;Barbados;caribbean;
BD;Bangladesh;asia;
BE;Belgium;europe;
BF;Burkina Faso;africa;Upper Volta
BG;Bulgaria;europe;
BH;Bahrain;asia;
BI;Burundi;africa;
BJ;Benin;africa;Dahomey
BL;Saint Barthélemy;caribbean;
BM;Bermuda;north_america;
BN;Brunei Darussalam;asia;Brunei
BO;Bolivia;south_america;Bolivia (Plurinational State of)|Plurinational State of Bolivia
BQ;Bonaire, Sint Eustatius and Saba;caribbean;
BR;Brazil;south_america;
BS;Bahamas;caribbean;
BT;Bhutan;asia;
BV;Bouvet Island;antarctica;
BW;Botswana;africa;
BY;Belarus;europe;Byelorussia
BZ;Belize;central_america;British Honduras
CA;Canada;north_america;
CC;Cocos (Keeling) Islands;oceania;
CD;Democratic Republic of the Congo;africa;Zaire|DR Congo|Congo, Democratic Republic of the|Democratic Republic of Congo
CF;Central African Republic;africa;
CG;Congo;africa;Republic of the Congo|Congo-Brazzaville
CH;Switzerland;europe;
CI;Côte d'Ivoire;africa;Cote d'Ivoire|Ivory Coast
CK;Cook Islands;oceania;
CL;Chile;south_america;
CM;Cameroon;africa;
CN;China;asia;People's Republic of China
CO;Colombia;south_america;
CR;Costa Rica;central_america;
CU;Cuba;caribbean;
CV;Cabo Verde;africa;Cape Verde
CW;Curaçao;caribbean;Curacao
CX;Christmas Island;oceania;
CY;Cyprus;europe;
CZ;Czechia;europe;Czech Republic
DE;Germany;europe;
DJ;Djibouti;africa;
DK;Denmark;europe;
DM;Dominica;caribbean;
DO;Dominican Republic;caribbean;
DZ;Algeria;africa;
EC;Ecuador;south_america;
EE;Estonia;europe;
EG;Egypt;africa;
EH;Western Sahara;africa;
ER;Eritrea;africa;
ES;Spain;europe;
ET;Ethiopia;africa;
FI;Finland;europe;
FJ;Fiji;oceania;
FK;Falkland Islands (Malvinas);south_america;Falkland Islands
FM;Micronesia (Federated States of);oceania;Micronesia
FO;Faroe Islands;europe;
FR;France;europe;
GA;Gabon;africa;
GB;United Kingdom;europe;United Kingdom of Great Britain and Northern Ireland|Great Britain
GD;Grenada;caribbean;
GE;Georgia;asia;
GF;French Guiana;south_america;
GG;Guernsey;europe;
GH;Ghana;africa;
GI;Gibraltar;europe;
GL;Greenland;north_america;
GM;Gambia;africa;
GN;Guinea;africa;
GP;Guadeloupe;caribbean;
GQ;Equatorial Guinea;africa;
GR;Greece;europe;
GS;South Georgia and the South Sandwich Islands;antarctica;
GT;Guatemala;central_america;
GU;Guam;oceania;
GW;Guinea-Bissau;africa;
GY;Guyana;south_america;
HK;Hong Kong;asia;Hong Kong SAR
HM;Heard Island and McDonald Islands;antarctica;
HN;Honduras;central_america;
HR;Croatia;europe;
HT;Haiti;caribbean;
HU;Hungary;europe;
ID;Indonesia;asia;
IE;Ireland;europe;
IL;Israel;asia;
IM;Isle of Man;europe;
IN;India;asia;
IO;British Indian Ocean Territory;asia;
IQ;Iraq;asia;
IR;Iran;asia;Iran (Islamic Republic of)|Islamic Republic of Iran|Persia
IS;Iceland;europe;
IT;Italy;europe;
JE;Jersey;europe;
JM;Jamaica;caribbean;
JO;Jordan;asia;
JP;Japan;asia;
KE;Kenya;africa;
KG;Kyrgyzstan;asia;
KH;Cambodia;asia;Kampuchea
KI;Kiribati;oceania;
KM;Comoros;africa;
KN;Saint Kitts and Nevis;caribbean;
KP;Democratic People's Republic of Korea;asia;North Korea
KR;Republic of Korea;asia;South Korea|Korea, Republic of
KW;Kuwait;asia;
KY;Cayman Islands;caribbean;
KZ;Kazakhstan;asia;
LA;Lao People's Democratic Republic;asia;Laos|Lao PDR
LB;Lebanon;asia;
LC;Saint Lucia;caribbean;
LI;Liechtenstein;europe;
LK;Sri Lanka;asia;Ceylon
LR;Liberia;africa;
LS;Lesotho;africa;
LT;Lithuania;europe;
LU;Luxembourg;europe;
LV;Latvia;europe;
LY;Libya;africa;Libyan Arab Jamahiriya
MA;Morocco;africa;
MC;Monaco;europe;
MD;Republic of Moldova;europe;Moldova
ME;Montenegro;europe;
MF;Saint Martin (French part);caribbean;
MG;Madagascar;africa;
MH;Marshall Islands;oceania;
MK;North Macedonia;europe;The former Yugoslav Republic of Macedonia|Macedonia
ML;Mali;africa;
MM;Myanmar;asia;Burma
MN;Mongolia;asia;
MO;Macao;asia;Macau
MP;Northern Mariana Islands;oceania;
MQ;Martinique;caribbean;
MR;Mauritania;africa;
MS;Montserrat;caribbean;
MT;Malta;europe;
MU;Mauritius;africa;
MV;Maldives;asia;
MW;Malawi;africa;
MX;Mexico;north_america;
MY;Malaysia;asia;
MZ;Mozambique;africa;
NA;Namibia;africa;
NC;New Caledonia;oceania;
NE;Niger;africa;
NF;Norfolk Island;oceania;
NG;Nigeria;africa;
NI;Nicaragua;central_america;
NL;Netherlands;europe;Kingdom of the Netherlands
NO;Norway;europe;
NP;Nepal;asia;
NR;Nauru;oceania;
NU;Niue;oceania;
NZ;New Zealand;oceania;
OM;Oman;asia;
PA;Panama;central_america;
PE;Peru;south_america;
PF;French Polynesia;oceania;
PG;Papua New Guinea;oceania;
PH;Philippines;asia;
PK;Pakistan;asia;
PL;Poland;europe;
PM;Saint Pierre and Miquelon;north_america;
PN;Pitcairn;oceania;
PR;Puerto Rico;caribbean;
PS;State of Palestine;asia;Palestine
PT;Portugal;europe;
PW;Palau;oceania;
PY;Paraguay;south_america;
QA;Qatar;asia;
RE;Réunion;africa;Reunion
RO;Romania;europe;
RS;Serbia;europe;
RU;Russian Federation;europe;Russia
RW;Rwanda;africa;
SA;Saudi Arabia;asia;
SB;Solomon Islands;oceania;
SC;Seychelles;africa;
SD;Sudan;africa;
SE;Sweden;europe;
SG;Singapore;asia;
SH;Saint Helena, Ascension and Tristan da Cunha;africa;Saint Helena
SI;Slovenia;europe;
SJ;Svalbard and Jan Mayen;europe;
SK;Slovakia;europe;
SL;Sierra Leone;africa;
SM;San Marino;europe;
SN;Senegal;africa;
SO;Somalia;africa;
SR;Suriname;south_america;Surinam
SS;South Sudan;africa;
ST;Sao Tome and Principe;africa;São Tomé and Príncipe
SV;El Salvador;central_america;
SX;Sint Maarten (Dutch part);caribbean;
SY;Syrian Arab Republic;asia;Syria
SZ;Eswatini;africa;Swaziland
TC;Turks and Caicos Islands;caribbean;
TD;Chad;africa;
TF;French Southern Territories;antarctica;
TG;Togo;africa;
TH;Thailand;asia;Siam
TJ;Tajikistan;asia;
TK;Tokelau;oceania;
TL;Timor-Leste;asia;East Timor
TM;Turkmenistan;asia;
TN;Tunisia;africa;
TO;Tonga;oceania;
TR;Türkiye;asia;Turkey|Turkiye
TT;Trinidad and Tobago;caribbean;
TV;Tuvalu;oceania;
TW;Taiwan, Province of China;asia;Taiwan
TZ;United Republic of Tanzania;africa;Tanzania
UA;Ukraine;europe;
UG;Uganda;africa;
UM;United States Minor Outlying Islands;oceania;
US;United States of America;north_america;United States|USA
UY;Uruguay;south_america;
UZ;Uzbekistan;asia;
VA;Holy See;europe;Vatican City
VC;Saint Vincent and the Grenadines;caribbean;
VE;Venezuela;south_america;Venezuela (Bolivarian Republic of)|Bolivarian Republic of Venezuela
VG;British Virgin Islands;caribbean;Virgin Islands (British)
VI;United States Virgin Islands;caribbean;Virgin Islands (U.S.)
VN;Viet Nam;asia;Vietnam
VU;Vanuatu;oceania;New Hebrides
WF;Wallis and Futuna;oceania;
WS;Samoa;oceania;Western Samoa
YE;Yemen;asia;
YT;Mayotte;africa;
ZA;South Africa;africa;
ZM;Zambia;africa;Northern Rhodesia
ZW;Zimbabwe;africa;Rhodesia|Southern Rhodesia
"""

# Codes no longer assigned that still turn up in old permits and annotations.
FORMER_CODES: dict[str, tuple[str, ...]] = {
    "ZR": ("CD",),  # Zaire
    "BU": ("MM",),  # Burma
    "YU": ("RS", "ME"),  # Yugoslavia
    "CS": ("RS", "ME"),  # Serbia and Montenegro
    "AN": ("CW", "SX", "BQ"),  # Netherlands Antilles
    "TP": ("TL",),  # East Timor
    "SU": ("RU", "UA", "BY"),  # USSR (successor states, incomplete on purpose)
}

# Names of regions as they appear in annotations, mapped to region keys.
REGION_NAMES: dict[str, tuple[str, ...]] = {
    "Central and North America": ("central_america", "north_america"),
    "North and Central America": ("central_america", "north_america"),
    "Central America": ("central_america",),
    "North America": ("north_america",),
    "South America": ("south_america",),
    "Asia": ("asia",),
    "Asian": ("asia",),
    "Africa": ("africa",),
    "African": ("africa",),
    "Europe": ("europe",),
    "European": ("europe",),
    "Oceania": ("oceania",),
}


@dataclass(frozen=True)
class Country:
    """One country: ISO code, English name, region, other names it goes by."""

    code: str
    name: str
    region: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class CountryMention:
    """Countries found at one place in a text (a code, a name or a region)."""

    codes: frozenset[str]
    text: str
    start: int
    kind: str  # "code", "name" or "region"


@cache
def countries() -> dict[str, Country]:
    """All countries by ISO code."""
    out: dict[str, Country] = {}
    for line in _TABLE.strip().splitlines():
        code, name, region, aliases = line.split(";")
        out[code] = Country(code, name, region, tuple(a for a in aliases.split("|") if a))
    return out


@cache
def _name_to_code() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in countries().values():
        for name in (country.name, *country.aliases):
            table[name.casefold()] = country.code
    return table


def country_name(code: str) -> str:
    """Name of an ISO code in the active language, or the code itself when unknown.

    English names come from the table above; French and Spanish names from the Unicode
    CLDR data that ships with Babel (the English name when CLDR lacks the code).
    """
    country = countries().get(code.upper())
    if country is None:
        return code
    lang = get_language()
    if lang != SOURCE_LANGUAGE:
        localized = _cldr_territories(lang).get(country.code)
        if localized:
            return localized
    return country.name


# CLDR's short French forms where the CITES documents use the official names.
_OFFICIAL_NAMES = {
    "fr": {"CD": "République démocratique du Congo", "CG": "Congo"},
}


@cache
def _cldr_territories(lang: str) -> dict[str, str]:
    return {**Locale.parse(lang).territories, **_OFFICIAL_NAMES.get(lang, {})}


def codes_in_regions(regions: tuple[str, ...]) -> frozenset[str]:
    """All country codes in the given region keys."""
    return frozenset(c.code for c in countries().values() if c.region in regions)


def normalise_country(value: str, field_name: str = "country") -> str:
    """Turn an ISO code or an English (or former) name into an ISO 3166-1 alpha-2 code.

    Args:
        value: ``KE``, ``ke``, ``Kenya``, ``Swaziland``...
        field_name: the option or field name used in the error message.

    Returns:
        The upper-case ISO code.

    Raises:
        BadField: the value is not a known code or name.
    """
    text = value.strip()
    upper = text.upper()
    if upper in countries():
        return upper
    if upper in FORMER_CODES and len(FORMER_CODES[upper]) == 1:
        return FORMER_CODES[upper][0]
    code = _name_to_code().get(text.casefold())
    if code:
        return code
    raise BadField(
        f"{field_name}: {value!r} is not an ISO 3166-1 alpha-2 country code or a known "
        "country name; use a two-letter code such as KE, BW or CN."
    )


@cache
def _exact_name_to_code() -> dict[str, str]:
    return {n: c.code for c in countries().values() for n in (c.name, *c.aliases)}


@cache
def _name_pattern() -> re.Pattern[str]:
    names = {n for c in countries().values() for n in (c.name, *c.aliases)}
    names |= set(REGION_NAMES)
    alternatives = sorted(names, key=len, reverse=True)
    body = "|".join(re.escape(n) for n in alternatives)
    return re.compile(rf"(?<![\w-])(?:the\s+)?({body})(?![\w-])")


_CODE_PATTERN = re.compile(r"(?<![\w.])([A-Z]{2})(?!\w)")


def find_countries(text: str) -> list[CountryMention]:
    """Find country codes, country names and regions in annotation text.

    Codes must be upper case and a whole word; names are matched with their usual
    capitalisation, longest first, so "Papua New Guinea" is not read as "Guinea".

    Args:
        text: cleaned annotation text.

    Returns:
        The mentions in text order.
    """
    found: list[CountryMention] = []
    taken: list[tuple[int, int]] = []
    name_codes = _exact_name_to_code()
    for match in _name_pattern().finditer(text):
        name = match.group(1)
        if name in REGION_NAMES:
            codes = codes_in_regions(REGION_NAMES[name])
            kind = "region"
        else:
            codes = frozenset({name_codes[name]})
            kind = "name"
        found.append(CountryMention(codes, name, match.start(1), kind))
        taken.append((match.start(), match.end()))
    for match in _CODE_PATTERN.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        code = match.group(1)
        if code in countries():
            found.append(CountryMention(frozenset({code}), code, match.start(), "code"))
        elif code in FORMER_CODES:
            found.append(CountryMention(frozenset(FORMER_CODES[code]), code, match.start(), "code"))
    found.sort(key=lambda m: m.start)
    return found
