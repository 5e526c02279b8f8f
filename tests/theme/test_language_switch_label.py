"""Found on make dev: the switcher's screen-reader label mixed two languages, "Read this
site in Inglés": the sentence was in the target language, the language's name in the page's."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_switchers_label_is_wholly_in_the_language_it_offers(client_a):
    page = client_a.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Read this site in English" in page and "Inglés" not in page
