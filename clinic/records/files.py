"""Private files leave only through here, after a view has checked who asks."""

from django.http import FileResponse, Http404


def serve_document(document, *, inline: bool) -> FileResponse:
    """The file, never guessed by the browser; inline only for the kinds it can preview."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = inline and document.previewable
    filename = f"{document.title}.{document.file.name.rsplit('.', 1)[-1]}"
    response = FileResponse(handle, content_type=document.content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Nothing in the file may run or load anything; Chrome's PDF viewer does not open in a
    # sandbox, so only images get one.
    policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    response["Content-Security-Policy"] = policy + ("; sandbox" if document.is_image else "")
    return response
