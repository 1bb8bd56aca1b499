"""The screening page: a name (and what else is known) against every party the viewer may
read, with each candidate's score and the part every feature played. Services only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from watchfloor.entities import service
from watchfloor.entities.api import candidate_out, query_of
from watchfloor.entities.schemas import MatchIn
from watchfloor.security.deps import Db
from watchfloor.web.pages import Me, refused, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=400)]


@router.get("/entities/screen", response_class=HTMLResponse)
def screen_page(
    request: Request,
    db: Db,
    me: Me,
    name: Text = "",
    country: Text = "",
    date_of_birth: Text = "",
    identifier: Text = "",
    schema: Text = "",
) -> Response:
    form = {"name": name, "country": country, "date_of_birth": date_of_birth,
            "identifier": identifier, "schema": schema}  # fmt: skip
    results, errors, status, version = [], [], 200, None
    if name.strip():
        body = {
            "name": name,
            "countries": country.replace(",", " ").split(),
            "date_of_birth": date_of_birth or None,
            "identifiers": [{"number": identifier}] if identifier.strip() else [],
            "schema": schema or None,
        }
        try:
            query = query_of(MatchIn.model_validate(body))
        except ValidationError as exc:
            errors, status = refused(exc, "query")
        else:
            found, cfg = service.screen(db, me, query, limit=15)
            results, version = [candidate_out(s) for s in found], cfg.version
    return render(
        request, "entities/screen.html", me, status=status, active="entities", form=form,
        results=results, errors=errors, version=version,
    )  # fmt: skip
