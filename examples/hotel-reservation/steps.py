"""The hotel's business steps, one per topic of the two models, shared by
worker.py (the official Camunda client) and polling_worker.py (a hand-written
fetchAndLock loop). Each step takes a `Job` (the external task's id, business
key and variables) and answers the variables to complete the task with, or
raises:

- `InvalidReservation`: the request itself is wrong; the worker reports the
  BPMN error INVALID_INPUT, which the model catches and ends as "rejected";
- `StepFailed`: a service is down or refused; the worker reports a failure,
  so Baton retries the task after a timeout and raises an incident when the
  retries run out.

Every service call sends the external task id as X-Request-Id, the business
key as X-Business-Key and the worker id as X-Caller. The services are
idempotent by business key (or e-mail), so a task delivered again after a
crash repeats harmlessly.

Environment:
    BOOKING_URL, ROOM_URL, RESTAURANT_URL, CLIENT_URL
        the services (default http://127.0.0.1:5001 ... :5004)
    HOTEL_WORK_MS  simulated work after each service call, before the worker
                   completes the task (default 0); the fault tests use it to
                   kill a worker between the two
"""

import os
import re
import time
from dataclasses import dataclass
from datetime import date

import requests

SERVICES = {
    "booking": os.environ.get("BOOKING_URL", "http://127.0.0.1:5001"),
    "room": os.environ.get("ROOM_URL", "http://127.0.0.1:5002"),
    "restaurant": os.environ.get("RESTAURANT_URL", "http://127.0.0.1:5003"),
    "client": os.environ.get("CLIENT_URL", "http://127.0.0.1:5004"),
}
WORK_SECONDS = int(os.environ.get("HOTEL_WORK_MS", "0")) / 1000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NIGHTS = 30
MAX_GUESTS = 4


class InvalidReservation(Exception):
    """The reservation request cannot be served as it is (a BPMN error)."""


class StepFailed(Exception):
    """A service could not do its part now (a failure, retried by Baton)."""

    def __init__(self, message, details):
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass
class Job:
    """What a step needs of an external task."""

    task_id: str
    topic: str
    business_key: str
    worker_id: str
    variables: dict

    def get(self, name, default=None):
        return self.variables.get(name, default)


def call(service, method, path, job, ok=(200, 201), **kwargs):
    """Calls a service; answers its JSON, or raises StepFailed."""
    url = SERVICES[service] + path
    headers = {"X-Request-Id": job.task_id, "X-Business-Key": job.business_key or "",
               "X-Caller": job.worker_id}
    try:
        response = requests.request(method, url, headers=headers, timeout=5, **kwargs)
    except requests.RequestException as error:
        raise StepFailed(f"{service} service unavailable", f"{method} {url}: {error}") from None
    if response.status_code not in ok:
        raise StepFailed(f"{service} service answered {response.status_code}",
                         f"{method} {url}: {response.status_code} {response.text}")
    return response.json()


def validate_input(job):
    """validate-input: the request's fields, before anything is reserved."""
    name = job.get("guestName")
    email = job.get("email")
    guests = job.get("guests", 1)
    if not isinstance(name, str) or not name.strip():
        raise InvalidReservation("guestName is missing")
    if not isinstance(email, str) or not EMAIL.match(email):
        raise InvalidReservation(f"email {email!r} is not an e-mail address")
    try:
        check_in = date.fromisoformat(str(job.get("checkIn")))
        check_out = date.fromisoformat(str(job.get("checkOut")))
    except ValueError:
        raise InvalidReservation("checkIn and checkOut must be dates (YYYY-MM-DD)") from None
    nights = (check_out - check_in).days
    if nights < 1:
        raise InvalidReservation(f"checkOut {check_out} is not after checkIn {check_in}")
    if nights > MAX_NIGHTS:
        raise InvalidReservation(f"{nights} nights is more than {MAX_NIGHTS}")
    if not isinstance(guests, int) or isinstance(guests, bool) or not 1 <= guests <= MAX_GUESTS:
        raise InvalidReservation(f"guests must be 1 to {MAX_GUESTS}, not {guests!r}")
    return {"nights": nights, "restaurant": job.get("restaurant") is True}


def search_client(job):
    """search-client (ClientCreationProcess): the client with this e-mail."""
    found = call("client", "GET", "/clients", job, params={"email": job.get("email")})
    if found:
        return {"clientFound": True, "client_id": found[0]["clientId"]}
    return {"clientFound": False, "client_id": None}


def create_client(job):
    """create-client (ClientCreationProcess): a new client; by e-mail, so twice is once."""
    client = call("client", "POST", "/clients", job,
                  json={"email": job.get("email"), "name": job.get("name")})
    return {"client_id": client["clientId"]}


def check_room_availability(job):
    """check-room-availability: is a room free for every night of the stay?"""
    answer = call("room", "GET", "/availability", job,
                  params={"checkIn": job.get("checkIn"), "checkOut": job.get("checkOut")})
    return {"roomAvailable": answer["available"], "freeRooms": answer["freeRooms"]}


def block_room(job):
    """block-room: holds a room for the reservation (keyed by its business key)."""
    block = call("room", "POST", "/blocks", job, json={
        "reservationId": job.business_key,
        "checkIn": job.get("checkIn"),
        "checkOut": job.get("checkOut"),
    })
    return {"roomNumber": block["roomNumber"]}


def reserve_restaurant(job):
    """reserve-restaurant: a table on the evening of arrival."""
    table = call("restaurant", "POST", "/reservations", job, json={
        "reservationId": job.business_key,
        "date": job.get("checkIn"),
        "guests": job.get("guests", 1),
    })
    return {"tableNumber": table["tableNumber"]}


def create_booking(job):
    """create-booking: the booking, once per reservation."""
    booking = call("booking", "POST", "/bookings", job, json={
        "reservationId": job.business_key,
        "clientId": job.get("client_id"),
        "roomNumber": job.get("roomNumber"),
        "checkIn": job.get("checkIn"),
        "checkOut": job.get("checkOut"),
        "tableNumber": job.get("tableNumber"),
    })
    return {"bookingId": booking["bookingId"]}


STEPS = {
    "validate-input": validate_input,
    "search-client": search_client,
    "create-client": create_client,
    "check-room-availability": check_room_availability,
    "block-room": block_room,
    "reserve-restaurant": reserve_restaurant,
    "create-booking": create_booking,
}


def run(step, job):
    """Runs a step, then the simulated work; answers the variables."""
    variables = step(job)
    if WORK_SECONDS:
        time.sleep(WORK_SECONDS)
    return variables
