"""The matter's review steps (承办 → 审核 → 决定, or 一审一核): parsed, kept with the stored matter, anything else
refused naming the matter."""

from __future__ import annotations

import json

import pytest

from desktop.core.catalogue import catalogue_to_json, parse_catalogue
from desktop.core.errors import BadInput
from tests.support.factories import TEST_CATALOGUE


def _catalogue(**fields) -> str:
    data = json.loads(TEST_CATALOGUE.read_text(encoding="utf-8"))
    data["matters"][0].update(fields)
    return json.dumps(data, ensure_ascii=False)


def test_review_steps_default_to_handle_review_decide():
    m = parse_catalogue(_catalogue()).matters[0]
    assert m.review_steps == ("handle", "review", "decide")


def test_a_matter_may_be_one_review_one_decision_and_keeps_it():
    cat = parse_catalogue(_catalogue(review_steps=["handle", "decide"]))
    assert cat.matters[0].review_steps == ("handle", "decide")
    assert parse_catalogue(catalogue_to_json(cat)) == cat  # round trip keeps it
    assert "review_steps" not in json.loads(catalogue_to_json(cat))["matters"][1]  # the default is not written


@pytest.mark.parametrize("steps", [["decide"], ["handle", "review"], ["review", "handle", "decide"], "handle",
                                   ["handle", "decide", "decide"], [], {"handle": 1}])
def test_any_other_review_steps_are_refused_naming_the_matter(steps):
    with pytest.raises(BadInput) as e:
        parse_catalogue(_catalogue(review_steps=steps))
    assert "T-PER-001" in e.value.message and "review_steps" in e.value.message


def test_a_stored_matter_keeps_its_review_steps(services):
    admin = services.login(login="admin", password="admin1234")
    data = json.loads(_catalogue(review_steps=["handle", "decide"]))
    data["version"] = "2026-loop"
    services.import_catalogue(json.dumps(data, ensure_ascii=False), actor=admin)
    assert services.matter(code="T-PER-001").review_steps == ("handle", "decide")
    assert services.matter(code="T-ENT-001").review_steps == ("handle", "review", "decide")
