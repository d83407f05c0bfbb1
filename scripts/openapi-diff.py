#!/usr/bin/env python3
"""Compares Baton's OpenAPI document with Camunda 7's, and prints the differences.

Run by hand; no test reads Camunda's document. Usage:

    python3 scripts/openapi-diff.py CAMUNDA_OPENAPI_JSON BATON_DOCUMENT

where BATON_DOCUMENT is a file or the URL of a running server's document
(http://127.0.0.1:8080/engine-rest/openapi.json). For every operation Baton
serves it reports: an operation Camunda's document does not have, a different
success status, query parameters one side names and the other does not, and the
properties of the success answer's schema that differ. Path parameters are
compared by position only (`{id}` and `{processInstanceId}` are the same).
Exits 0 whatever it finds: it reports, it does not judge.
"""

import json
import re
import sys
import urllib.request


def load(source):
    if source.startswith("http://") or source.startswith("https://"):
        with urllib.request.urlopen(source) as answer:
            return json.load(answer)
    with open(source, encoding="utf-8") as f:
        return json.load(f)


def shape(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


def resolve(doc, schema, seen=()):
    """The property names of a schema, following $ref, allOf and array items."""
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return set()
        target = doc.get("components", {}).get("schemas", {}).get(name)
        return resolve(doc, target, seen + (name,))
    if schema.get("type") == "array":
        return resolve(doc, schema.get("items"), seen)
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= resolve(doc, part, seen) or set()
    if not names and "additionalProperties" in schema:
        return None
    return names


def success(doc, operation):
    """The first 2xx status and the property names of its JSON answer."""
    for status, answer in sorted(operation.get("responses", {}).items()):
        if not status.startswith("2"):
            continue
        if "$ref" in answer:
            name = answer["$ref"].rsplit("/", 1)[-1]
            answer = doc.get("components", {}).get("responses", {}).get(name, {})
        content = answer.get("content", {}).get("application/json", {})
        return status, resolve(doc, content.get("schema"))
    return None, None


def query(operation):
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}


def operations(doc):
    out = {}
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch", "options", "head"):
                out[(method, shape(path))] = (path, operation)
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip())
        return 2
    camunda, baton = load(sys.argv[1]), load(sys.argv[2])
    theirs, ours = operations(camunda), operations(baton)
    differences = 0
    for key in sorted(ours):
        path, op = ours[key]
        label = f"{key[0].upper()} {path}"
        if key not in theirs:
            print(f"{label}: not in Camunda's document")
            differences += 1
            continue
        _, their_op = theirs[key]
        notes = []
        our_status, our_props = success(baton, op)
        their_status, their_props = success(camunda, their_op)
        if our_status != their_status:
            notes.append(f"success status {our_status}, Camunda's {their_status}")
        only_ours, only_theirs = query(op) - query(their_op), query(their_op) - query(op)
        if only_ours:
            notes.append(f"query parameters only Baton names: {sorted(only_ours)}")
        if only_theirs:
            notes.append(f"query parameters only Camunda names: {sorted(only_theirs)}")
        if our_props is not None and their_props is not None:
            if our_props - their_props:
                notes.append(f"answer properties only Baton has: {sorted(our_props - their_props)}")
            if their_props - our_props:
                notes.append(f"answer properties only Camunda has: {sorted(their_props - our_props)}")
        for note in notes:
            print(f"{label}: {note}")
        differences += len(notes)
    missing = len([k for k in theirs if k not in ours])
    print(f"{len(ours)} operations in Baton's document, {differences} differences; "
          f"{missing} of Camunda's {len(theirs)} operations are not served by Baton")
    return 0


if __name__ == "__main__":
    sys.exit(main())
