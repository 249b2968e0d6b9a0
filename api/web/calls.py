"""Calling the API's route functions from a page, with the API's own role check.

A page is a thin view of an API route: it calls the same function, so the query, the audit
entry and the business rule are the route's. `invoke` passes the signed-in person to the
route's principal parameter (whatever the route calls it: `staff`, `dsl`, `admin`) and first
runs the role check that parameter declares (`Depends(require(...))`), exactly as FastAPI
would for an HTTP request. Which role may call a route is therefore stated once, in the API.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi.params import Depends

from api.models import Staff


@cache
def _signature(route: Callable[..., Any]) -> tuple[tuple[str, bool, tuple[Callable, ...]], ...]:
    """(name, required, role checks) per parameter; role checks only on the principal."""
    hints = get_type_hints(route, include_extras=True)
    out = []
    for name, parameter in inspect.signature(route).parameters.items():
        hint = hints.get(name)
        checks: tuple[Callable, ...] = ()
        if get_origin(hint) is Annotated and get_args(hint)[0] is Staff:
            checks = tuple(meta.dependency for meta in get_args(hint)[1:]
                           if isinstance(meta, Depends) and meta.dependency is not None
                           and meta.dependency.__name__.startswith("require_"))
            checks = checks or (_authenticated,)
        out.append((name, parameter.default is inspect.Parameter.empty, checks))
    return tuple(out)


def _authenticated(staff: Staff) -> Staff:
    """A route that asks only for a signed-in person: the page's own sign-in check did that."""
    return staff


def invoke(route: Callable[..., Any], /, *, staff: Staff | None = None, **values: Any) -> Any:
    """Call `route` with the values its dependencies would inject, after its role check.

    Raises the route's own HTTPException (403 for the wrong role, 404, 409, ...), which the
    page turns into a readable page.
    """
    arguments: dict[str, Any] = {}
    for name, required, checks in _signature(route):
        if checks:
            if staff is None:
                raise TypeError(f"{route.__name__} needs a signed-in person")
            for check in checks:
                check(staff)
            arguments[name] = staff
        elif name in values:
            arguments[name] = values.pop(name)
        elif required:
            raise TypeError(f"{route.__name__} needs {name!r}")
    if values:
        raise TypeError(f"{route.__name__} takes no {', '.join(sorted(values))}")
    return route(**arguments)
