#!/usr/bin/env python3
"""Runs Camunda's own user-task test models to their end through Baton's REST API.

    scripts/corpus-run.py CORPUS_DIR [--list]

For every model of CORPUS_DIR/manifest.tsv that needs no Java and no DMN, is not
meant to fail and has a user task, it deploys the model to a throw-away
`baton serve` (built with `cargo build --release` first), starts each of its
process definitions that has a none start event, and then, in rounds, completes
every open user task (with no variables), fetches and completes every external
task, and moves Baton's manual clock a day on, until the instance has ended or a
round changed nothing. It prints how many such models deploy, how many of their
instances start, and how many run to their end. With --list it names those that
do not, and why.

The corpus is not part of this repository; nothing in the project's tests uses it.
Only the Python standard library is needed.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

ROUNDS = 25


def call(base, method, path, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text.decode(errors="replace")


def deploy(base, path):
    name = os.path.basename(path)
    if not (name.endswith(".bpmn") or name.endswith(".bpmn20.xml")):
        name += ".bpmn"
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        content = f.read()
    parts = [
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"deployment-name\"\r\n\r\n{name}\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
        f"Content-Type: text/xml\r\n\r\n".encode()
        + content
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return call(
        base,
        "POST",
        "/deployment/create",
        raw=b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def ended(base, instance):
    status, h = call(base, "GET", f"/history/process-instance/{instance}")
    return status == 200 and h.get("endTime") is not None, (h or {}).get("state")


def drive(base, instance):
    """Works the instance's tasks until it ends or nothing moves; why it stopped."""
    for _ in range(ROUNDS):
        done, state = ended(base, instance)
        if done:
            return "ended" if state == "COMPLETED" else f"ended {state}"
        moved = False
        _, tasks = call(base, "GET", "/task?maxResults=100")
        for t in tasks or []:
            status, _ = call(base, "POST", f"/task/{t['id']}/complete", {})
            moved |= status == 204
        _, topics = call(base, "GET", "/external-task/topic-names")
        if topics:
            status, locked = call(
                base,
                "POST",
                "/external-task/fetchAndLock",
                {
                    "workerId": "corpus",
                    "maxTasks": 100,
                    "topics": [{"topicName": n, "lockDuration": 60000} for n in topics],
                },
            )
            for t in locked or []:
                s, _ = call(
                    base, "POST", f"/external-task/{t['id']}/complete", {"workerId": "corpus"}
                )
                moved |= s == 204
        if not moved:
            status, clock = call(base, "POST", "/baton/clock", {"offset": "P1D"})
            moved = status == 200
        if not moved:
            break
    _, incidents = call(base, "GET", f"/incident?processInstanceId={instance}")
    if incidents:
        return "incident: " + (incidents[0].get("incidentMessage") or "")[:100]
    return "still running"


def main():
    corpus = sys.argv[1]
    listing = "--list" in sys.argv
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(["cargo", "build", "--quiet", "--release"], cwd=root, check=True)
    baton = os.path.join(root, "target", "release", "baton")
    models = []
    with open(os.path.join(corpus, "manifest.tsv")) as f:
        next(f)
        for line in f:
            path, java, dmn, invalid, elements = line.rstrip("\n").split("\t")[:5]
            if java == "no" and dmn == "no" and invalid == "no" and "userTask" in elements.split(","):
                models.append(path)
    deployed = started = finished = 0
    notes = []
    for path in models:
        # A fresh server per model: no task of another model is in the way.
        server = subprocess.Popen(
            [baton, "serve", "--db", ":memory:", "--port", "0", "--clock", "manual"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            line = server.stdout.readline()
            base = line.strip().rsplit(" ", 1)[-1]
            status, result = deploy(base, os.path.join(corpus, path))
            if status != 200:
                notes.append((path, "not deployed"))
                continue
            deployed += 1
            definitions = (result.get("deployedProcessDefinitions") or {}).values()
            ran_all, any_started = True, False
            for d in definitions:
                status, inst = call(base, "POST", f"/process-definition/{d['id']}/start", {})
                if status != 200:
                    continue
                any_started = True
                why = drive(base, inst["id"])
                if why != "ended":
                    ran_all = False
                    notes.append((path, f"{d['key']}: {why}"))
            if any_started:
                started += 1
                if ran_all:
                    finished += 1
            else:
                notes.append((path, "no definition starts with a none start event"))
        finally:
            server.terminate()
            server.wait()
    if listing:
        for path, why in notes:
            print(f"{path}: {why}")
    print(f"corpus: {len(models)} Java-free valid models with user tasks; {deployed} deploy")
    print(f"corpus: {started} start an instance; {finished} of those run to their end "
          f"({100 * finished / max(started, 1):.1f}%)")


if __name__ == "__main__":
    main()
