"""The bench applications for gunicorn: the same work as bench/apps/tsgi-apps.ts,
written as a Python WSGI user would (PEP 3333). Run: gunicorn wsgi_app:hello."""

import json

HELLO_BODY = b"Hello, World!"
ENVIRON_KEYS = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "HTTP_HOST",
                "HTTP_USER_AGENT", "HTTP_ACCEPT_LANGUAGE")


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [HELLO_BODY]


def headers(environ, start_response):
    body = json.dumps({key: environ.get(key, "") for key in ENVIRON_KEYS},
                      separators=(",", ":")).encode("latin-1")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def upload(environ, start_response):
    length = len(environ["wsgi.input"].read())
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(length).encode("ascii")]
