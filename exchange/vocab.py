"""Controlled vocabularies of the exchange: professions, credit types, formats, specialties.

Codes are what the database and the JSON API carry; labels are what people read.
Everything that validates, filters or displays one of these lists imports it from here.
"""

from __future__ import annotations

from decimal import Decimal

PROFESSIONS: dict[str, str] = {
    "physician": "Physician",
    "nurse": "Nurse",
    "pharmacist": "Pharmacist",
    "physician_assistant": "Physician assistant",
    "other": "Other health professional",
}

ROLES: dict[str, str] = {
    "admin": "Administrator",
    "staff": "Education staff",
    "member": "Member (learner)",
}

ORGANIZATION_KINDS: dict[str, str] = {
    "association": "Association",
    "provider": "Accredited provider",
    "both": "Association and accredited provider",
}

ACCREDITORS: dict[str, str] = {
    "accme": "ACCME",
    "state": "State medical society (ACCME-recognized)",
    "ancc": "ANCC",
    "acpe": "ACPE",
    "joint": "Joint Accreditation (IPCE)",
}

# The statement a provider of record prints on module pages and certificates.
ACCREDITATION_STATEMENTS: dict[str, str] = {
    "accme": (
        "{provider} is accredited by the Accreditation Council for Continuing Medical "
        "Education (ACCME) to provide continuing medical education for physicians."
    ),
    "state": (
        "{provider} is accredited by a state medical society recognized by the ACCME "
        "to provide continuing medical education for physicians."
    ),
    "ancc": (
        "{provider} is accredited as a provider of nursing continuing professional "
        "development by the American Nurses Credentialing Center's Commission on "
        "Accreditation."
    ),
    "acpe": (
        "{provider} is accredited by the Accreditation Council for Pharmacy Education "
        "as a provider of continuing pharmacy education."
    ),
    "joint": (
        "In support of improving patient care, {provider} is jointly accredited by the "
        "Accreditation Council for Continuing Medical Education (ACCME), the "
        "Accreditation Council for Pharmacy Education (ACPE), and the American Nurses "
        "Credentialing Center (ANCC), to provide continuing education for the "
        "healthcare team."
    ),
}

# When the module was planned with an organization that is not its provider of record
# (joint providership), the accreditors ask for this wording instead.
JOINT_PROVIDERSHIP_STATEMENTS: dict[str, str] = {
    "accme": (
        "This activity has been planned and implemented in accordance with the accreditation "
        "requirements and policies of the Accreditation Council for Continuing Medical "
        "Education (ACCME) through the joint providership of {provider} and {partner}. "
        "{provider} is accredited by the ACCME to provide continuing medical education for "
        "physicians."
    ),
    "state": (
        "This activity has been planned and implemented in accordance with the accreditation "
        "requirements and policies of the ACCME through the joint providership of {provider} "
        "and {partner}. {provider} is accredited by a state medical society recognized by the "
        "ACCME to provide continuing medical education for physicians."
    ),
    "ancc": (
        "{provider} is accredited as a provider of nursing continuing professional development "
        "by the American Nurses Credentialing Center's Commission on Accreditation. This "
        "activity is jointly provided by {provider} and {partner}."
    ),
    "acpe": (
        "{provider} is accredited by the Accreditation Council for Pharmacy Education as a "
        "provider of continuing pharmacy education. This activity is jointly provided by "
        "{provider} and {partner}."
    ),
    "joint": (
        "In support of improving patient care, this activity has been planned and implemented "
        "by {provider} and {partner}. {provider} is jointly accredited by the Accreditation "
        "Council for Continuing Medical Education (ACCME), the Accreditation Council for "
        "Pharmacy Education (ACPE), and the American Nurses Credentialing Center (ANCC), to "
        "provide continuing education for the healthcare team."
    ),
}

CREDIT_TYPES: dict[str, str] = {
    "ama_pra_1": "AMA PRA Category 1 Credit(s)\u2122",
    "ancc": "ANCC contact hour(s)",
    "acpe": "ACPE contact hour(s)",
    "aafp_prescribed": "AAFP Prescribed credit(s)",
    "aafp_elective": "AAFP Elective credit(s)",
    "abim_moc": "ABIM MOC point(s)",
    "ipce": "IPCE credit(s)",
    "aoa_1a": "AOA Category 1-A credit(s)",
    "aoa_1b": "AOA Category 1-B credit(s)",
}

# Short labels for filters and facets.
CREDIT_TYPE_SHORT: dict[str, str] = {
    "ama_pra_1": "AMA PRA Category 1",
    "ancc": "ANCC contact hours",
    "acpe": "ACPE contact hours",
    "aafp_prescribed": "AAFP Prescribed",
    "aafp_elective": "AAFP Elective",
    "abim_moc": "ABIM MOC points",
    "ipce": "IPCE credits",
    "aoa_1a": "AOA Category 1-A",
    "aoa_1b": "AOA Category 1-B",
}

# The smallest step a designation (and later a claim) may use. AMA PRA Category 1 is
# designated in quarter hours; ANCC contact hours are reported to two decimals.
CREDIT_STEPS: dict[str, Decimal] = {
    "ama_pra_1": Decimal("0.25"),
    "ancc": Decimal("0.01"),
    "acpe": Decimal("0.25"),
    "aafp_prescribed": Decimal("0.25"),
    "aafp_elective": Decimal("0.25"),
    "abim_moc": Decimal("0.25"),
    "ipce": Decimal("0.25"),
    "aoa_1a": Decimal("0.25"),
    "aoa_1b": Decimal("0.25"),
}

# Credit types only some accreditors may designate. ABIM MOC points are registered through
# ACCME's system (PARS), so they need an ACCME-system accreditor. Types absent here (AAFP,
# AOA) are approved by those bodies activity by activity, whoever the provider is.
CREDIT_TYPE_ACCREDITORS: dict[str, frozenset[str]] = {
    "ama_pra_1": frozenset({"accme", "state", "joint"}),
    "abim_moc": frozenset({"accme", "state", "joint"}),
    "ancc": frozenset({"ancc", "joint"}),
    "acpe": frozenset({"acpe", "joint"}),
    "ipce": frozenset({"joint"}),
}

# Which credit types a learner of each profession may claim.
PROFESSION_CREDIT_TYPES: dict[str, frozenset[str]] = {
    "physician": frozenset(
        {"ama_pra_1", "aafp_prescribed", "aafp_elective", "abim_moc", "ipce", "aoa_1a", "aoa_1b"}
    ),
    "nurse": frozenset({"ancc", "ipce"}),
    "pharmacist": frozenset({"acpe", "ipce"}),
    # NCCPA accepts AMA PRA Category 1 credit for PAs' Category 1 CME.
    "physician_assistant": frozenset({"ama_pra_1", "ipce"}),
    "other": frozenset({"ipce"}),
}

FORMATS: dict[str, str] = {
    "course": "Course",
    "rss": "Regularly Scheduled Series",
    "enduring_material": "Enduring Material",
    "journal_cme": "Journal-based CME",
    "manuscript_review": "Manuscript Review",
    "test_item_writing": "Test-Item Writing",
    "committee_learning": "Committee Learning",
    "performance_improvement": "Performance/Quality Improvement",
    "internet_searching": "Internet Searching and Learning",
    "learning_from_teaching": "Learning from Teaching",
    "other": "Other",
}

# How the AMA designation statement names each format ("designates this ... for"). Courses
# and series delivered online are enduring materials (see designation_noun in rules.py).
FORMAT_DESIGNATION_NOUNS: dict[str, str] = {
    "course": "live activity",
    "rss": "live activity",
    "enduring_material": "enduring material",
    "journal_cme": "journal-based CME activity",
    "manuscript_review": "manuscript review activity",
    "test_item_writing": "test-item writing activity",
    "committee_learning": "committee learning activity",
    "performance_improvement": "performance improvement activity",
    "internet_searching": "internet point-of-care activity",
    "learning_from_teaching": "learning from teaching activity",
    "other": "activity",
}

DELIVERIES: dict[str, str] = {
    "online": "Online",
    "live": "Live",
    "blended": "Blended (online and live)",
}

COMPETENCIES: dict[str, str] = {
    "patient_care": "Patient Care",
    "medical_knowledge": "Medical Knowledge",
    "practice_based_learning": "Practice-based Learning and Improvement",
    "interpersonal_communication": "Interpersonal and Communication Skills",
    "professionalism": "Professionalism",
    "systems_based_practice": "Systems-based Practice",
}

OUTCOME_LEVELS: dict[str, str] = {
    "1": "Level 1: Participation",
    "2": "Level 2: Satisfaction",
    "3a": "Level 3a: Declarative knowledge",
    "3b": "Level 3b: Procedural knowledge",
    "4": "Level 4: Competence",
    "5": "Level 5: Performance",
    "6": "Level 6: Patient health",
    "7": "Level 7: Community health",
}

SPECIALTIES: dict[str, str] = {
    "addiction_medicine": "Addiction Medicine",
    "allergy_immunology": "Allergy and Immunology",
    "anesthesiology": "Anesthesiology",
    "cardiology": "Cardiology",
    "critical_care": "Critical Care Medicine",
    "dermatology": "Dermatology",
    "emergency_medicine": "Emergency Medicine",
    "endocrinology": "Endocrinology, Diabetes and Metabolism",
    "family_medicine": "Family Medicine",
    "gastroenterology": "Gastroenterology",
    "geriatrics": "Geriatric Medicine",
    "hematology_oncology": "Hematology and Oncology",
    "hospital_medicine": "Hospital Medicine",
    "infectious_disease": "Infectious Disease",
    "internal_medicine": "Internal Medicine",
    "nephrology": "Nephrology",
    "neurology": "Neurology",
    "obstetrics_gynecology": "Obstetrics and Gynecology",
    "ophthalmology": "Ophthalmology",
    "orthopedics": "Orthopaedic Surgery",
    "otolaryngology": "Otolaryngology",
    "pain_medicine": "Pain Medicine",
    "palliative_care": "Hospice and Palliative Medicine",
    "pathology": "Pathology",
    "pediatrics": "Pediatrics",
    "pharmacotherapy": "Pharmacotherapy",
    "psychiatry": "Psychiatry and Behavioral Health",
    "public_health": "Public Health and Preventive Medicine",
    "pulmonology": "Pulmonary Medicine",
    "radiology": "Radiology",
    "rheumatology": "Rheumatology",
    "sleep_medicine": "Sleep Medicine",
    "surgery": "General Surgery",
    "urology": "Urology",
    "womens_health": "Women's Health",
    "wound_care": "Wound Care",
}

SUPPORT_KINDS: dict[str, str] = {
    "monetary": "Monetary (educational grant)",
    "in_kind": "In-kind",
}

MODULE_STATUSES: dict[str, str] = {
    "draft": "Draft",
    "published": "Published",
    "retired": "Retired",
}

# Licensing ------------------------------------------------------------------------------

PRICINGS: dict[str, str] = {
    "free": "Free",
    "flat": "Flat fee per term",
    "per_learner": "Fee per learner",
}

CURRENCIES: dict[str, str] = {"USD": "US dollar", "CAD": "Canadian dollar"}

# The decisions a license records. Active, scheduled and expired follow from the dates of
# an approved license (exchange.licensing.models.License.state_on).
LICENSE_STATUSES: dict[str, str] = {
    "requested": "Requested",
    "approved": "Approved",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "revoked": "Revoked",
}

LICENSE_STATES: dict[str, str] = {
    "requested": "Requested",
    "scheduled": "Scheduled",
    "active": "Active",
    "expired": "Expired",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "revoked": "Revoked",
}
