"""Every interface string exists in Vietnamese and English."""

from __future__ import annotations

import re
from pathlib import Path

from matcher import catalog
from web import i18n

WEB = Path(i18n.__file__).parent
LITERAL = re.compile(r"""\b_n?\(\s*["']([a-z0-9_.\-]+)["']""")
# Message ids built at run time: prefix -> every suffix the app can produce.
FAMILIES = {
    "status.": ["invalid", "ready", "queued", "running", "done", "failed", "cancelled"],
    "kind.": ["upload", "sample", "additions", "full"],
    "role.": ["admin", "coordinator", "roster", "addition", "previous_plan"],
    "severity.": ["error", "warning"],
    "change.": ["new", "kept", "changed", "ended"],
    "missing.": ["mentor", "job", "training"],
    "slot.": ["morning", "afternoon", "evening"],
    "visit.": ["first", "follow-up"],
    "risk.": ["1", "2", "3"],
    "gap.suggest.": ["mentor", "job", "training"],
    "score.": ["specialty", "same_ward", "affinity", "spread", "skill_fit", "away_from_home",
               "job_affinity"],
    "download.": ["xlsx-vi", "xlsx-en", "json", "schedule-csv", "schedules-zip", "ics-zip"],
    "gap.": ["ward", "kind", "uncovered", "uncovered_female", "more_needed", "suggestion"],
    "tier.": ["M1", "M2", "M3", "M4", "M5", "J1", "J2", "J3", "J4", "J5"],
    "error.": [f"{c}.{part}" for c in ("400", "403", "404", "405", "413", "429", "500", "csrf")
               for part in ("title", "text")],
    "action.": ["login", "login_failed", "login_blocked", "logout", "upload",
                "upload_rejected", "server_busy", "run", "cancel", "run_failed", "download", "delete",
                "user_created", "user_role_changed", "user_disabled", "user_enabled",
                "password_changed", "password_change_failed", "logout_everywhere",
                "user_logged_out", "user_password_set"],
}


# placeholders only the English shows, which the glossary keeps out of Vietnamese: the
# solver's status word (FEASIBLE …) and a rule's number (Vietnamese names the rule)
ENGLISH_ONLY = {"reason.visit.not_proven": {"how"}, "reason.rule": {"n"}}


def _used_ids() -> set[str]:
    ids = set()
    for path in [*WEB.rglob("*.py"), *WEB.rglob("*.html")]:
        ids |= {m for m in LITERAL.findall(path.read_text(encoding="utf-8"))
                if not m.endswith(".")}
    return ids


def test_every_used_message_id_exists():
    """Each literal _("id") in the web code and templates has an entry."""
    missing = sorted(_used_ids() - catalog.all_keys())
    assert not missing, missing
    assert len(_used_ids()) > 150


def test_every_generated_message_id_exists():
    """Ids built from a status, role, action, ... exist for every value the app uses."""
    missing = [p + s for p, suffixes in FAMILIES.items() for s in suffixes
               if not catalog.has(p + s)]
    assert not missing, missing


def test_every_message_has_both_languages_with_the_same_placeholders():
    """No message lacks a language, and both fill the same {placeholders}."""
    for msgid in catalog.all_keys():
        entry = {lang: catalog._template(msgid, lang, None) for lang in catalog.LANGS}
        assert entry["vi"].strip() and entry["en"].strip(), msgid
        # a parameter may carry its Vietnamese wording as a sibling "<name>_vi"
        fields = [{f.removesuffix("_vi") for f in re.findall(r"\{(\w+)", entry[lang])}
                  for lang in ("vi", "en")]
        assert fields[0] | ENGLISH_ONLY.get(msgid, set()) == fields[1], msgid


def test_audited_actions_are_all_translated():
    """Every action the code writes to the audit log has a label on the admin page."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in WEB.rglob("*.py"))
    written = set(re.findall(r"""audit\(\s*["']([a-z_]+)["']""", code))
    written |= set(re.findall(r"""add_audit\(\s*\w+,\s*["']([a-z_]+)["']""", code))
    written |= {"user_enabled", "user_disabled"}  # chosen by a conditional expression
    assert written <= set(FAMILIES["action."]), written - set(FAMILIES["action."])


def test_unknown_id_falls_back_to_default_and_default_language_is_vietnamese():
    """Outside a request the language is Vietnamese; unknown ids use the default."""
    assert i18n.gettext("nav.new") == "Lập kế hoạch mới"
    assert i18n.gettext("nav.new", lang="en") == "New plan"
    assert i18n.gettext("gap.unheard_of", default="unheard_of") == "unheard_of"
