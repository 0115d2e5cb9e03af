"""Static reference data of the simulated management system: places, banks, products, reasons.

Everything here is plain tuples so that the generator can draw from it quickly with a seeded
`random.Random`; people's names and street names come from Faker (see `generator.Pools`).
"""

from __future__ import annotations

# (city, postal code, INSEE code of the commune used as a birthplace in the NIR, weight).
# Corsica (2A/2B) and overseas departments are left out: their NIR layout differs.
CITIES: tuple[tuple[str, str, str, int], ...] = (
    ("Paris", "75011", "75111", 40),
    ("Paris", "75015", "75115", 30),
    ("Paris", "75018", "75118", 25),
    ("Paris", "75020", "75120", 25),
    ("Marseille", "13005", "13205", 20),
    ("Marseille", "13013", "13213", 15),
    ("Lyon", "69003", "69383", 18),
    ("Lyon", "69007", "69387", 12),
    ("Toulouse", "31000", "31555", 25),
    ("Nice", "06000", "06088", 18),
    ("Nantes", "44000", "44109", 18),
    ("Montpellier", "34000", "34172", 16),
    ("Strasbourg", "67000", "67482", 16),
    ("Bordeaux", "33000", "33063", 16),
    ("Lille", "59000", "59350", 14),
    ("Rennes", "35000", "35238", 12),
    ("Reims", "51100", "51454", 9),
    ("Toulon", "83000", "83137", 9),
    ("Saint-Étienne", "42000", "42218", 9),
    ("Le Havre", "76600", "76351", 8),
    ("Grenoble", "38000", "38185", 8),
    ("Dijon", "21000", "21231", 8),
    ("Angers", "49000", "49007", 8),
    ("Villeurbanne", "69100", "69266", 7),
    ("Nîmes", "30000", "30189", 7),
    ("Clermont-Ferrand", "63000", "63113", 7),
    ("Aix-en-Provence", "13100", "13001", 7),
    ("Le Mans", "72000", "72181", 7),
    ("Brest", "29200", "29019", 7),
    ("Tours", "37000", "37261", 7),
    ("Amiens", "80000", "80021", 7),
    ("Limoges", "87000", "87085", 6),
    ("Annecy", "74000", "74010", 6),
    ("Perpignan", "66000", "66136", 6),
    ("Metz", "57000", "57463", 6),
    ("Besançon", "25000", "25056", 6),
    ("Orléans", "45000", "45234", 6),
    ("Rouen", "76000", "76540", 6),
    ("Mulhouse", "68100", "68224", 5),
    ("Caen", "14000", "14118", 5),
    ("Nancy", "54000", "54395", 5),
    ("Argenteuil", "95100", "95018", 5),
    ("Saint-Denis", "93200", "93066", 5),
    ("Montreuil", "93100", "93048", 5),
    ("Roubaix", "59100", "59512", 4),
    ("Avignon", "84000", "84007", 4),
    ("Poitiers", "86000", "86194", 4),
    ("Pau", "64000", "64445", 4),
    ("La Rochelle", "17000", "17300", 4),
    ("Calais", "62100", "62193", 3),
    ("Cannes", "06400", "06029", 3),
    ("Béziers", "34500", "34032", 3),
    ("Colmar", "68000", "68066", 3),
    ("Bourges", "18000", "18033", 3),
    ("Valence", "26000", "26362", 3),
    ("Chambéry", "73000", "73065", 3),
    ("Troyes", "10000", "10387", 3),
    ("Lorient", "56100", "56121", 3),
    ("Niort", "79000", "79191", 3),
    ("Vannes", "56000", "56260", 3),
    ("Quimper", "29000", "29232", 3),
    ("Bayonne", "64100", "64102", 3),
    ("Saint-Nazaire", "44600", "44184", 3),
    ("Laval", "53000", "53130", 2),
    ("Angoulême", "16000", "16015", 2),
    ("Chartres", "28000", "28085", 2),
    ("Évreux", "27000", "27229", 2),
    ("Auxerre", "89000", "89024", 2),
    ("Cergy", "95000", "95127", 3),
    ("Versailles", "78000", "78646", 4),
    ("Nanterre", "92000", "92050", 4),
    ("Boulogne-Billancourt", "92100", "92012", 4),
    ("Créteil", "94000", "94028", 4),
    ("Vitry-sur-Seine", "94400", "94081", 3),
    ("Évry-Courcouronnes", "91000", "91228", 3),
    ("Meaux", "77100", "77284", 3),
    ("Melun", "77000", "77288", 2),
    ("Gap", "05000", "05061", 2),
    ("Valenciennes", "59300", "59606", 3),
    ("Dunkerque", "59140", "59183", 3),
    ("Arras", "62000", "62041", 2),
    ("Beauvais", "60000", "60057", 2),
    ("Compiègne", "60200", "60159", 2),
    ("Saint-Quentin", "02100", "02691", 2),
    ("Charleville-Mézières", "08000", "08105", 2),
    ("Épinal", "88000", "88160", 2),
    ("Belfort", "90000", "90010", 2),
    ("Mâcon", "71000", "71270", 2),
    ("Chalon-sur-Saône", "71100", "71076", 2),
    ("Nevers", "58000", "58194", 2),
    ("Blois", "41000", "41018", 2),
    ("Châteauroux", "36000", "36044", 2),
    ("Montauban", "82000", "82121", 2),
    ("Albi", "81000", "81004", 2),
    ("Rodez", "12000", "12202", 1),
    ("Agen", "47000", "47001", 2),
    ("Tarbes", "65000", "65440", 2),
    ("Mont-de-Marsan", "40000", "40192", 1),
    ("Périgueux", "24000", "24322", 1),
    ("Brive-la-Gaillarde", "19100", "19031", 2),
    ("Aurillac", "15000", "15014", 1),
    ("Le Puy-en-Velay", "43000", "43157", 1),
    ("Carcassonne", "11000", "11069", 2),
    ("Narbonne", "11100", "11262", 2),
    ("Alès", "30100", "30007", 2),
    ("Fréjus", "83600", "83061", 2),
    ("Antibes", "06600", "06004", 3),
    ("Saint-Brieuc", "22000", "22278", 2),
    ("Cholet", "49300", "49099", 2),
    ("La Roche-sur-Yon", "85000", "85191", 2),
)

# Birth abroad: department 99 + INSEE country code (3 digits), with a weight.
COUNTRIES_OF_BIRTH: tuple[tuple[str, int], ...] = (
    ("99139", 30),  # Portugal
    ("99350", 25),  # Maroc
    ("99352", 20),  # Algérie
    ("99351", 10),  # Tunisie
    ("99127", 8),  # Italie
    ("99134", 6),  # Espagne
    ("99208", 6),  # Turquie
    ("99114", 5),  # Roumanie
    ("99122", 4),  # Pologne
    ("99109", 4),  # Allemagne
    ("99131", 3),  # Belgique
    ("99341", 4),  # Sénégal
    ("99335", 3),  # Mali
    ("99326", 3),  # Côte d'Ivoire
)
BORN_ABROAD_SHARE = 0.07

# Landline prefix (01..05) by department number.
_ZONE_01 = {"75", "77", "78", "91", "92", "93", "94", "95"}
_ZONE_02 = {"14", "18", "22", "27", "28", "29", "35", "36", "37", "41", "44", "45", "49", "50", "53", "56", "61", "72", "76", "85"}
_ZONE_03 = {
    "02",
    "08",
    "10",
    "21",
    "25",
    "39",
    "51",
    "52",
    "54",
    "55",
    "57",
    "58",
    "59",
    "60",
    "62",
    "67",
    "68",
    "70",
    "71",
    "80",
    "88",
    "89",
    "90",
}
_ZONE_05 = {"09", "12", "16", "17", "19", "23", "24", "31", "32", "33", "40", "46", "47", "64", "65", "79", "81", "82", "86", "87"}


def landline_zone(department: str) -> str:
    if department in _ZONE_01:
        return "01"
    if department in _ZONE_02:
        return "02"
    if department in _ZONE_03:
        return "03"
    if department in _ZONE_05:
        return "05"
    return "04"


# (bank code, BIC) of French retail banks; the name is not in the events.
BANKS: tuple[tuple[str, str, int], ...] = (
    ("30004", "BNPAFRPPXXX", 14),  # BNP Paribas
    ("30003", "SOGEFRPP", 12),  # Société Générale
    ("30002", "CRLYFRPP", 8),  # LCL
    ("20041", "PSSTFRPPXXX", 10),  # La Banque Postale
    ("10278", "CMCIFR2A", 9),  # Crédit Mutuel
    ("30066", "CMCIFRPP", 5),  # CIC
    ("18206", "AGRIFRPP882", 6),  # Crédit Agricole Île-de-France
    ("13306", "AGRIFRPP833", 5),  # Crédit Agricole Aquitaine
    ("17906", "AGRIFRPP879", 4),  # Crédit Agricole Anjou Maine
    ("11315", "CEPAFRPP131", 4),  # Caisse d'Epargne CEPAC
    ("17515", "CEPAFRPP751", 4),  # Caisse d'Epargne Île-de-France
    ("14445", "CEPAFRPP444", 3),  # Caisse d'Epargne Bretagne Pays de Loire
    ("10207", "CCBPFRPPMTG", 4),  # Banque Populaire Rives de Paris
    ("16607", "CCBPFRPPPPG", 3),  # Banque Populaire du Sud
    ("10107", "BREDFRPPXXX", 3),  # BRED
    ("30056", "CCFRFRPP", 2),  # HSBC Continental Europe
    ("40618", "BOUSFRPPXXX", 3),  # Boursorama
    ("12548", "AXABFRPP", 1),  # AXA Banque
)

MEMBER_EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("gmail.com", 35),
    ("orange.fr", 18),
    ("hotmail.fr", 10),
    ("free.fr", 9),
    ("sfr.fr", 6),
    ("laposte.net", 6),
    ("yahoo.fr", 6),
    ("wanadoo.fr", 4),
    ("outlook.fr", 4),
    ("icloud.com", 2),
)

# --- brokers -----------------------------------------------------------------------------------

BROKER_NAME_PATTERNS = (
    "Cabinet {last} Assurances",
    "{last} & Associés Courtage",
    "{city} Courtage",
    "Courtage {geo}",
    "{geo} Assurances Entreprises",
    "Cabinet {last}-{last2}",
    "{last} Conseil Prévoyance",
    "Assurances du Bâtiment {geo}",
)

# --- companies ---------------------------------------------------------------------------------

GEO_NAMES = (
    "Rhône",
    "Loire",
    "Garonne",
    "Seine",
    "Provence",
    "Alsace",
    "Bretagne",
    "Normandie",
    "Atlantique",
    "Méditerranée",
    "Alpes",
    "Vendée",
    "Savoie",
    "Dauphiné",
    "Lorraine",
    "Picardie",
    "Aquitaine",
    "Occitanie",
    "Champagne",
    "Bourgogne",
    "Auvergne",
    "Touraine",
    "Anjou",
    "Flandres",
    "Cévennes",
    "Pyrénées",
    "Armor",
    "Île-de-France",
    "Val de Loire",
    "Côte d'Azur",
)
ACTIVITIES = (
    "Maçonnerie",
    "Charpente",
    "Couverture",
    "Plomberie",
    "Électricité",
    "Menuiserie",
    "Peinture",
    "Carrelage",
    "Plâtrerie",
    "Terrassement",
    "Étanchéité",
    "Serrurerie",
    "Isolation",
    "Chauffage",
    "Zinguerie",
    "Démolition",
    "Ravalement",
    "Travaux Publics",
    "Voirie",
    "Métallerie",
)
GENERIC_ACTIVITIES = ("Construction", "Rénovation", "Bâtiment", "Travaux", "Génie Civil", "Habitat", "Aménagement")
LEGAL_FORMS = (("SARL", 40), ("SAS", 30), ("SASU", 10), ("EURL", 12), ("SA", 5), ("SCOP", 3))
COMPANY_NAME_PATTERNS = (
    ("BTP {geo} {generic} {form}", 3),
    ("{activity} {last} {form}", 4),
    ("{last} et Fils {form}", 2),
    ("{geo} {activity} {form}", 3),
    ("Entreprise {last} {form}", 2),
    ("{initials} {activity} {form}", 2),
    ("{last} {generic} {form}", 2),
)
COMPANY_ADDRESS_PREFIXES = (
    "ZI des {noun}",
    "ZA du {noun2}",
    "Parc d'activités des {noun}",
    "ZAC de la {noun3}",
)
COMPANY_ADDRESS_NOUNS = ("Chênes", "Tilleuls", "Peupliers", "Vignes", "Sablons", "Grands Champs", "Érables")
COMPANY_ADDRESS_NOUNS2 = ("Moulin", "Pont", "Bois", "Stade", "Canal", "Port", "Vallon")
COMPANY_ADDRESS_NOUNS3 = ("Gare", "Plaine", "Croix", "Fontaine", "Garenne", "Prairie", "Forge")

CONTACT_ROLES_PRIMARY = ("Dirigeant", "Gérant", "Président", "Directeur administratif et financier")
CONTACT_ROLES_OTHER = ("Responsable RH", "Comptable", "Assistante de direction", "Responsable paie", "Secrétaire")
# Who an insured group's questions go to (« Votre groupe » : coordonnées).
GROUP_CONTACT_ROLES = ("Gestionnaire du personnel", "Responsable paie", "Chargée de protection sociale", "Service RH")

# --- contracts and guarantees ------------------------------------------------------------------

# (product, category) combinations of a company's contracts, with weights and the share of its
# staff each contract covers.
CONTRACT_SETS: tuple[tuple[tuple[tuple[str, str, float], ...], int], ...] = (
    ((("SANTE", "ENSEMBLE DU PERSONNEL", 1.0),), 20),
    ((("SANTE", "NON CADRES", 1.0),), 10),
    ((("SANTE", "NON CADRES", 0.82), ("SANTE", "CADRES", 0.18)), 25),
    ((("SANTE", "ENSEMBLE DU PERSONNEL", 0.75), ("PREVOYANCE", "ENSEMBLE DU PERSONNEL", 0.25)), 15),
    ((("SANTE", "NON CADRES", 0.65), ("SANTE", "CADRES", 0.15), ("PREVOYANCE", "CADRES", 0.20)), 20),
    ((("SANTE", "NON CADRES", 0.70), ("PREVOYANCE", "NON CADRES", 0.30)), 10),
)

# (guarantee code, name) by product; the first entries are the base guarantees.
HEALTH_BASE = (("SANTE-SOCLE", "SANTE SOCLE"), ("ASSIST-SOCLE", "ASSISTANCE SOCLE"))
HEALTH_OPTIONS = (
    ("RENFORT-1", "OPTION RENFORT 1"),
    ("RENFORT-2", "OPTION RENFORT 2"),
    ("SURCOMPL", "SURCOMPLEMENTAIRE"),
    ("MED-DOUCES", "MEDECINES DOUCES"),
    ("OPT-DENTAIRE", "OPTION DENTAIRE"),
    ("OPT-OPTIQUE", "OPTION OPTIQUE"),
)
PROVIDENT_BASE = (("DECES", "DECES"), ("INCAPACITE", "INCAPACITE TEMPORAIRE"), ("INVALIDITE", "INVALIDITE"))
PROVIDENT_OPTIONS = (
    ("RENTE-EDUC", "RENTE EDUCATION"),
    ("RENTE-CONJ", "RENTE DE CONJOINT"),
    ("OBSEQUES", "FRAIS D'OBSEQUES"),
    ("DEPENDANCE", "DEPENDANCE"),
)

# --- terminations ------------------------------------------------------------------------------

RADIATION_REASONS: tuple[tuple[str, int], ...] = (
    ("DEMISSION", 34),
    ("FIN DE CONTRAT", 26),
    ("LICENCIEMENT", 16),
    ("MUTATION", 8),
    ("RETRAITE", 8),
    ("DECES", 1),
)

# Tenants that are unions of mutuelles: the mutuelles of the union and their numbers in the legacy
# system ("numéro de mutuelle au sens Promut", guide 004), with which their members log in.
UNION_MUTUELLES: dict[str, tuple[tuple[str, str], ...]] = {
    "solimut": (("MFPLUS", "700"), ("MVTE", "105"), ("TN", "106"), ("MFPACA", "1012"), ("MUTUELLE DE FRANCE UNIE", "1308")),
}
