"""Small hand-made rosters for solver tests: positions in km east/north of a centre."""

from __future__ import annotations

import datetime as dt
import math

from matcher.domain import Job, Location, Mentor, PairRule, Returnee, Roster, Settings, Training

LAT0, LON0 = 19.80, 105.78
PLAN_DATE = dt.date(2026, 12, 1)


def at(x_km: float, y_km: float = 0.0, ward: str | None = None) -> Location:
    lat = LAT0 + y_km / 111.195
    lon = LON0 + x_km / (111.195 * math.cos(math.radians(LAT0)))
    return Location(lat, lon, ward=ward)


def returnee(rid: str, x: float = 0.0, y: float = 0.0, *, gender: str = "M", risk: int = 2,
             offense: str = "property", birth_year: int = 1990, ward: str | None = None,
             release: dt.date = dt.date(2026, 11, 1), **kw) -> Returnee:
    return Returnee(id=rid, full_name=f"Nguyễn Văn {rid}", gender=gender, birth_year=birth_year,
                    location=at(x, y, ward), release_date=release, offense=offense, risk=risk,
                    **kw)


def mentor(mid: str, x: float = 0.0, y: float = 0.0, *, gender: str = "M", capacity: int = 2,
           ward: str | None = None, **kw) -> Mentor:
    return Mentor(id=mid, full_name=f"Trần Văn {mid}", gender=gender, birth_year=1960,
                  location=at(x, y, ward), capacity=capacity, **kw)


def job(jid: str, x: float = 0.0, y: float = 0.0, *, employer: str = "Công ty A",
        sector: str = "may mac", slots: int = 1, ward: str | None = None, **kw) -> Job:
    return Job(id=jid, employer=employer, sector=sector, location=at(x, y, ward), slots=slots,
               **kw)


def course(tid: str, x: float = 0.0, y: float = 0.0, *, seats: int = 1, **kw) -> Training:
    return Training(id=tid, provider="Trường nghề", sector="han", location=at(x, y), seats=seats,
                    **kw)


def roster(returnees, mentors, jobs=(), trainings=(), pairs=(), **settings) -> Roster:
    settings.setdefault("plan_date", PLAN_DATE)
    return Roster(returnees=tuple(returnees), mentors=tuple(mentors), jobs=tuple(jobs),
                  trainings=tuple(trainings), pairs=tuple(pairs), settings=Settings(**settings))


def pair(rid: str, mid: str | None = None, jid: str | None = None, row: int = 2, **kw) -> PairRule:
    return PairRule(returnee_id=rid, mentor_id=mid, job_id=jid, row=row, **kw)


def training(tid: str, x: float = 0.0, y: float = 0.0, *, sector: str = "han", seats: int = 1,
             provider: str = "Trường nghề", ward: str | None = None, **kw) -> Training:
    """A course with any sector and ward (``course`` fixes the sector to "han")."""
    return Training(id=tid, provider=provider, sector=sector, location=at(x, y, ward),
                    seats=seats, **kw)
