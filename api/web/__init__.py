"""The review web UI: server-rendered pages over the API's own route functions.

`router` holds every page and mounts `/static`, so serving the UI is one line in
`create_app`: `app.include_router(web.router)`. Pages call the API's handlers through
`api.web.calls.invoke`, which applies each handler's own role check; nothing here decides
who may see what, and every read is audited by the handler (or, for the pages the API has no
handler for, the dashboard and settings, by the page through `api.audit`).
"""
from api.web.routes import STATIC_ROUTE, router
from api.web.templating import STATIC_DIR, TEMPLATES_DIR

__all__ = ["STATIC_DIR", "STATIC_ROUTE", "TEMPLATES_DIR", "router"]
