// Request smuggling and malformed framing (RFC 9112 §6.3, §5, §2.2): every shape gets
// a prebuilt 400 (or 501/505) with Connection: close, and the connection is closed,
// so no byte after the bad request is ever read as a new request.
import { describe, expect, it } from 'vitest';
import { RawConnection, header } from '../helpers/raw-http.js';
import { echoBody, startNative } from './native-helpers.js';

const H = 'Host: a\r\n';
const cases: [string, string, number][] = [
  ['Content-Length and Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding then Content-Length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`, 400],
  ['differing duplicate Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, 400],
  ['identical duplicate Content-Length (rejected, RFC 9110 §8.6 allows it)', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, 400],
  ['Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`, 400],
  ['Content-Length with sign', `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`, 400],
  ['Content-Length negative', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400],
  ['Content-Length hex', `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\nhello`, 400],
  ['Content-Length overflow', `POST / HTTP/1.1\r\n${H}Content-Length: 18446744073709551621\r\n\r\nhello`, 400],
  ['Content-Length empty', `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, 400],
  ['Transfer-Encoding gzip only', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 400],
  ['Transfer-Encoding chunked, gzip', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding chunked twice', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding identity', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`, 400],
  ['Transfer-Encoding xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding with vertical tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding on HTTP/1.0', `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding gzip, chunked (coding not implemented)', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
  ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`, 400],
  ['obs-fold of Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, 400],
  ['whitespace before first header', `GET / HTTP/1.1\r\n ${H}\r\n`, 400],
  ['space before colon', `POST / HTTP/1.1\r\n${H}Content-Length : 5\r\n\r\nhello`, 400],
  ['tab before colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['bare LF line ends', `GET / HTTP/1.1\n${H.replace('\r', '')}\n`, 400],
  ['bare LF inside head', `GET / HTTP/1.1\r\n${H}X: a\nContent-Length: 5\r\n\r\nhello`, 400],
  ['bare CR in value', `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400],
  ['bare CR line', `GET / HTTP/1.1\r\n${H}\rContent-Length: 5\r\n\r\n`, 400],
  ['NUL in value', `GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`, 400],
  ['NUL in target', `GET /\0 HTTP/1.1\r\n${H}\r\n`, 400],
  ['control byte in value', `GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`, 400],
  ['DEL in value', `GET / HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`, 400],
  ['invalid token in name', `GET / HTTP/1.1\r\n${H}X{y}: b\r\n\r\n`, 400],
  ['invalid token in method', `G@T / HTTP/1.1\r\n${H}\r\n`, 400],
  ['empty header name', `GET / HTTP/1.1\r\n${H}: b\r\n\r\n`, 400],
  ['two spaces in request line', `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
  ['missing Host on HTTP/1.1', `GET / HTTP/1.1\r\n\r\n`, 400],
  ['two Host fields', `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`, 400],
  ['invalid Host', `GET / HTTP/1.1\r\nHost: a/b\r\n\r\n`, 400],
  ['HTTP/0.9 request line', `GET /\r\n\r\n`, 400],
  ['unsupported version HTTP/2.0', `GET / HTTP/2.0\r\n${H}\r\n`, 505],
  ['unsupported version HTTP/3.0', `GET / HTTP/3.0\r\n${H}\r\n`, 505],
  ['raw non-ASCII byte in target', `GET /caf\xc3\xa9 HTTP/1.1\r\n${H}\r\n`, 400],
  ['fragment in target', `GET /a#b HTTP/1.1\r\n${H}\r\n`, 400],
  ['asterisk-form with GET', `GET * HTTP/1.1\r\n${H}\r\n`, 400],
  ['authority-form with GET', `GET example.com:80 HTTP/1.1\r\n${H}\r\n`, 400],
  ['chunk size overflow', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n10000000000000001\r\n`, 400],
  ['chunk size not hex', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
  ['chunk data longer than size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`, 400],
  ['chunk extension malformed', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;=x\r\na\r\n0\r\n\r\n`, 400],
  ['chunk size line bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n`, 400],
  ['trailer obs-fold', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nT: a\r\n b\r\n\r\n`, 400],
];

describe('native engine: smuggling shapes and malformed requests', () => {
  it.each(cases)('%s → %i and close', async (_name, bytes, status) => {
    const server = await startNative(echoBody);
    const c = new RawConnection(server.port);
    // A well-formed request follows the bad one: it must never be answered.
    await c.write(bytes + `GET /after HTTP/1.1\r\n${H}\r\n`);
    await c.waitClosed();
    const text = c.data.toString('latin1');
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    // Chunked-body errors arrive after the head was accepted: the request reached the
    // handler, which never got a complete body, so the 400 is the only response.
    expect(statuses).toEqual([status]);
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    c.close();
  });

  it('answers the good requests before a bad pipelined one, then closes', async () => {
    const server = await startNative(echoBody);
    const c = new RawConnection(server.port);
    await c.write(`GET /1 HTTP/1.1\r\n${H}\r\nPOST /2 HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\n\r\nGET /4 HTTP/1.1\r\n${H}\r\n`);
    await c.waitClosed();
    const statuses = [...c.data.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200, 400]);
    c.close();
  });

  it('the 400 carries Connection: close and a body', async () => {
    const server = await startNative(echoBody);
    const c = new RawConnection(server.port);
    await c.write(`GET / HTTP/1.1\r\n\r\n`);
    const [r] = await c.responses(1);
    expect(r!.status).toBe(400);
    expect(header(r!, 'connection')).toBe('close');
    expect(r!.body.toString()).toBe('Bad Request');
    await c.waitClosed();
  });
});
