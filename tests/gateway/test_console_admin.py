"""Unit contact points kept in the database (edited by an admin in the console) are where cases go,
together with config.yaml's; a re-import of the units keeps them; malformed ones are refused."""

import pytest
from sqlalchemy import select

from gateway.app import create_app
from gateway.cases import forward_cases
from gateway.config import CasesConfig, Contacts
from store.models import OutboundMessage
from store.units import UnitError, get_unit, import_units, stored_contacts, update_unit_contacts
from tests.helpers import MONAS, new_report

GAMBIR = "31.71.01.1001"
CONFIG_CHAT, CONSOLE_CHAT = "-1005550001", "-1005550002"


class _Adapter:  # forward_cases only asks whether the channel runs here; nothing is sent in this test
    pass


@pytest.fixture
def city(units_db, config, wilayah, normalizer):
    cases = CasesConfig(unit_contacts={GAMBIR: Contacts(telegram_chats=[CONFIG_CHAT], emails=["Lurah.Gambir@jakarta.go.id"])})
    city_config = config.model_copy(update={"cases": cases})
    app = create_app(city_config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": "k"}, normalizer=normalizer,
                     adapters={"telegram": _Adapter(), "email": _Adapter()})
    services = app.extensions["lapor"]
    forward_cases(services)  # what came before is not news
    return services


def _recipients(db, ticket_id):
    with db.transaction() as session:
        return sorted((m.channel, m.recipient) for m in session.scalars(
            select(OutboundMessage).where(OutboundMessage.report_id == ticket_id)))


def test_cases_go_to_the_contacts_an_admin_kept_in_the_database_and_to_config_yamls(city, units_db, config, wilayah):
    update_unit_contacts(units_db, GAMBIR, telegram_chats=[CONSOLE_CHAT, " "], emails=["lurah.gambir@jakarta.go.id",
                                                                                       "Posko.Gambir@Jakarta.go.id"])
    report = new_report(units_db, city.config, wilayah, where=MONAS)
    assert report.assigned_unit.code == GAMBIR
    assert forward_cases(city) == 4
    assert _recipients(units_db, report.id) == [
        ("email", "lurah.gambir@jakarta.go.id"),  # the same address in both places: once
        ("email", "posko.gambir@jakarta.go.id"),
        ("telegram", CONFIG_CHAT),
        ("telegram", CONSOLE_CHAT),
    ]
    assert not city.config.is_unit_address("telegram", CONSOLE_CHAT)  # config.yaml alone does not know it
    city.config.apply_stored_contacts(stored_contacts(units_db))  # as at start, after an edit, and by the job
    try:
        assert city.config.is_unit_address("telegram", CONSOLE_CHAT)
        assert city.config.is_unit_address("email", "POSKO.gambir@jakarta.go.id")
        assert not city.config.is_unit_address("telegram", "-1009999999")
    finally:
        city.config.apply_stored_contacts({})


def test_a_reimport_keeps_the_contacts_edited_in_the_console(units_db, config, wilayah):
    from gateway.cli import unit_specs

    update_unit_contacts(units_db, GAMBIR, telegram_chats=[CONSOLE_CHAT], emails=[])
    result = import_units(units_db, unit_specs(config, wilayah))
    assert result.updated == 0 and result.created == 0
    assert get_unit(units_db, GAMBIR).contacts == {"telegram_chats": [CONSOLE_CHAT], "emails": []}


@pytest.mark.parametrize("chats, emails", [(["@kelurahan"], []), (["12ab"], []), ([], ["bukan-email"]),
                                           ([], ["a@b"]), ([], ["x y@jakarta.go.id"])])
def test_malformed_contact_points_are_refused_and_nothing_is_saved(units_db, chats, emails):
    with pytest.raises(UnitError):
        update_unit_contacts(units_db, GAMBIR, telegram_chats=chats, emails=emails)
    assert not get_unit(units_db, GAMBIR).contacts


def test_an_unknown_unit_is_refused(units_db):
    with pytest.raises(UnitError):
        update_unit_contacts(units_db, "31.99.99.9999", telegram_chats=[], emails=[])
