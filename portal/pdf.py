"""What the PDFs share (fpdf2 with its core fonts, which speak Latin-1)."""


def latin1(text) -> str:
    """``text`` as the core fonts can print it: Spanish fits; "€" becomes "EUR", curly quotes
    and dashes plain ones, anything else "?"."""
    return str(text if text is not None else "").replace("€", "EUR").replace("“", '"').replace("”", '"').replace("–", "-").replace("—", "-") \
        .encode("latin-1", "replace").decode("latin-1")
