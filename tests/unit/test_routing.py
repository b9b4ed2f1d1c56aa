"""Routing reads the field's vocabulary in English, French and German (issues 14, 15 and 16)."""
from __future__ import annotations

import pytest
import spacy

from firststop.settings import get_settings
from knowledge.content import load_clusters
from knowledge.nlp import build_pipeline, split_compound
from knowledge.routing import Router


@pytest.fixture(scope="module")
def router():
    clusters = load_clusters(get_settings().knowledge_dir / "clusters.yml")
    return Router(clusters, {language: build_pipeline(clusters, language) for language in ("en", "fr", "de")})


# Written for these tests: neither the clusters' examples nor the held-out evaluation sentences.
PROJECTS = [
    ("en", "We are building a LiDAR module for self-driving lorries", "autotec"),
    ("en", "Simulating our distribution warehouse as a digital twin", "logitrace"),
    ("en", "Satellite radar to map flooded fields for farmers", "aerospace"),
    ("en", "A bioreactor that grows cultured cells for regenerative medicine", "biohealth"),
    ("en", "Ransomware protection for accounting offices", "infocom"),
    ("en", "A drone that delivers parcels to islands", "aerospace"),
    ("en", "Our hospital needs scheduling software for its operating theatres", "biohealth"),
    ("fr", "Nous développons un logiciel de cybersécurité pour les communes, quelles aides existent ?", "infocom"),
    ("fr", "Un revêtement anticorrosion pour les ponts en acier", "surfmat"),
    ("fr", "Des capteurs pour suivre la température des vaccins pendant le transport", "logitrace"),
    ("fr", "Nous fabriquons des sièges pour avions d'affaires", "aerospace"),
    ("fr", "Une pompe à chaleur pour des maisons anciennes", "ecodev"),
    ("de", "Wir bauen Leichtbauteile für Hubschrauber und suchen Fördermittel", "aerospace"),
    ("de", "Ladesäulen für Elektroautos in Tiefgaragen", "autotec"),
    ("de", "Ein Schnelltest, der Infektionen in der Arztpraxis erkennt", "biohealth"),
    ("de", "Wir planen einen Windpark mit Bürgerbeteiligung", "ecodev"),
]


@pytest.mark.parametrize("language, text, cluster", PROJECTS)
def test_projects_in_each_language_reach_their_cluster(router, language, text, cluster):
    route = router.route(text, language)
    assert route.decision == "cluster" and route.best.cluster.id == cluster, route.ranked[:2]


@pytest.mark.parametrize("language, text", [
    ("en", "We run a family bakery and want to open a second shop near the station"),
    ("en", "I am a hairdresser and would like to rent a bigger salon"),
    ("en", "Our law firm wants to hire two associates"),
    ("fr", "Nous avons une boulangerie et voulons ouvrir une deuxième boutique"),
    ("de", "Ich möchte einen Friseursalon in der Innenstadt eröffnen"),
])
def test_an_enquiry_that_fits_no_cluster_is_not_forced_into_one(router, language, text):
    assert router.route(text, language).decision == "none"


def test_a_german_compound_reaches_the_terms_inside_it(router):
    assert split_compound("windkraftanlagen", {"windkraft"}) == ["windkraft"]
    assert split_compound("batteriespeicher", {"batterie", "speicher"}) == ["batterie", "speicher"]
    assert split_compound("sicherheitslösung", {"sicherheit", "losung"}) == ["sicherheit", "losung"]  # Fugen-s
    route = router.route("Wir liefern Steuerungen für Windkraftanlagen", "de")
    assert route.best.cluster.id == "ecodev" and "Windkraftanlagen" in route.terms
    mixed = router.route("Batteriespeicher", "de")
    scored = {s.cluster.id for s in mixed.ranked if s.terms}
    assert {"autotec", "ecodev"} <= scored  # Batterie and Speicher both counted


def test_accents_and_french_lemmas_do_not_matter(router):
    for text in ("solution de cybersécurité", "solution de cybersecurite", "des logiciels de sécurité informatique"):
        assert router.route(text, "fr").best.cluster.id == "infocom", text


def test_the_sector_served_decides_over_the_material_used(router):
    route = router.route("We coat plastic parts and paint them for car makers", "en")
    assert route.best.cluster.id == "autotec"
    assert "car makers" in route.terms
    assert "surfmat" in {c.id for c in route.close}  # the material's cluster is offered as a second choice


@pytest.mark.parametrize("language, text, cluster", [
    ("en", "Our steelworks rolls sheet for carmakers", "autotec"),  # the trade is SurfMat's, the customer AutoTec's
    ("en", "A software company building a booking tool for clinics", "biohealth"),
    ("de", "Unsere Gießerei liefert Gehäuse an Automobilhersteller", "autotec"),
    ("de", "Wir sind Zulieferer für OEMs und spritzen Kunststoffteile", "autotec"),
])
def test_a_customer_sector_decides_over_the_suppliers_own_trade(router, language, text, cluster):
    route = router.route(text, language)
    assert route.decision == "cluster" and route.best.cluster.id == cluster, route.ranked[:2]


def test_a_part_of_an_aircraft_names_the_sector_it_serves(router):
    route = router.route("A sealant that keeps water out of aircraft wings", "en")  # a SurfMat product for aircraft
    assert route.best.cluster.id == "aerospace" and "aircraft wings" in route.terms


def test_a_close_runner_up_is_offered(router):
    route = router.route("We offer battery recycling", "en")
    assert {route.best.cluster.id, *(c.id for c in route.close)} >= {"autotec", "ecodev"}
    far = router.route("Anti-corrosion coatings for steel bridges", "en")
    assert far.best.cluster.id == "surfmat" and far.close == ()


def test_terms_are_deduplicated_and_kept_as_written(router):
    route = router.route("An EV battery: our batteries for EVs and the battery of an EV", "en")
    assert route.best.cluster.id == "autotec"
    lowered = [t.lower() for t in route.terms]
    assert "EV" in route.terms and "ev" not in route.terms
    assert len(lowered) == len(set(lowered)) and not {"battery", "batteries"} <= set(lowered)
    assert route.reason.count("batter") == 1


def test_the_reason_uses_the_right_article_and_only_words_that_scored(router):
    single = router.route("We need a better website", "en")
    assert single.best.cluster.id == "infocom"
    assert single.reason == "website is an InfoCom topic"
    surf = router.route("Our problem is corrosion", "en")
    assert surf.reason == "corrosion is a SurfMat topic"
    text = "We develop anti-corrosion coatings and a paint for steel"
    route = router.route(text, "en")
    assert all(term in text for term in route.terms) and set(route.terms) <= set(route.best.terms)


def test_an_unknown_language_reads_as_english_and_luxembourgish_as_german(router):
    assert router.route("Software for hospitals", "xx").best.cluster.id == "biohealth"
    assert router.route("Mir bauen Ladesäulen fir Elektroautos", "lb").best.cluster.id == "autotec"


def test_luxembourgish_is_routed_through_its_german_reading_and_the_reason_quotes_the_visitors_words(router):
    route = router.route("Mir bauen eng App fir eis Camionen ze verfollegen", "lb")
    assert route.best.cluster.id == "logitrace"
    assert "Camionen" in route.best.terms and "lastwagen" not in " ".join(route.best.terms).lower()


def test_cluster_terms_are_marked_longest_first_and_never_overlap():
    """As spaCy's EntityRuler marks them: the longest term wins, then the earliest; its cluster is the ent_id."""
    nlp = spacy.blank("en")
    nlp.add_pipe("cluster_terms").set_terms([
        {"norms": ("engine",), "label": "PRODUCT", "id": "autotec"},
        {"norms": ("search", "engine"), "label": "TECH", "id": "infocom"},
        {"norms": ("engine", "parts"), "label": "PRODUCT", "id": "autotec"},
        {"norms": ("drones",), "label": "PRODUCT", "id": "aerospace"},
    ])
    doc = nlp("a search engine for engine parts and drones")
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents] == [
        ("search engine", "TECH", "infocom"), ("engine parts", "PRODUCT", "autotec"), ("drones", "PRODUCT", "aerospace")]
    assert [(e.text, e.ent_id_) for e in nlp("our engine").ents] == [("engine", "autotec")]
