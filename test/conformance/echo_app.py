# The conformance corpus's echo app for gunicorn: the same answer as echo-app.ts.
import json

ECHOED_KEYS = ('REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'SERVER_NAME',
               'SERVER_PORT', 'SERVER_PROTOCOL', 'CONTENT_LENGTH', 'CONTENT_TYPE')


def app(environ, start_response):
    body = environ['wsgi.input'].read().decode('latin-1')
    out = {key: str(value) for key, value in environ.items()
           if key in ECHOED_KEYS or key.startswith('HTTP_')}
    out['body'] = body
    data = json.dumps(out).encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'), ('X-Echo', '1'),
                              ('Content-Length', str(len(data)))])
    return [data]
