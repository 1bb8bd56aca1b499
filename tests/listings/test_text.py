"""What the classifier reads: visible text, normalised, with the catalogue's markers."""

from __future__ import annotations

from watchfloor.listings.text import document, markers, visible_text
from watchfloor.reference.matcher import SubstanceMatcher


def test_markup_is_reduced_to_what_a_reader_sees() -> None:
    html = (
        "<p>Pure <b>MDMA</b> &amp; more</p><script>alert('x')</script>"
        "<style>p{color:red}</style><div>ships\tworldwide</div>"
    )
    assert visible_text(html) == "Pure MDMA & more ships worldwide"
    assert visible_text("Tom &amp; Jerry") == "Tom & Jerry"
    assert visible_text("ｃｏｃａｉｎｅ\u200b 1g") == "cocaine 1g"  # NFKC, format chars out
    assert visible_text("a < b and c > d") == "a < b and c > d"  # not markup: left alone


def test_markers_name_the_class_and_the_kind_of_evidence() -> None:
    m = SubstanceMatcher.shipped()
    assert "wfname_cocaine" in markers("1g cocaine", m)
    assert "wfqty_mass" in markers("1g cocaine", m)
    assert "wfqty_count" in markers("Xanax 2mg x 100", m)
    assert "wfname_benzodiazepine" in markers("Xanax 2mg x 100", m)
    assert markers("a cotton t-shirt", m) == []


def test_document_lowercases_title_body_and_markers() -> None:
    doc = document("<b>Fentanyl</b> 1G", "Stealth Shipping", SubstanceMatcher.shipped())
    assert doc.startswith("fentanyl 1g . stealth shipping")
    assert "wfname_fentanyl" in doc
