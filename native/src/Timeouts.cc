// Deadlines of one connection. Every deadline is an anchor plus a configured time, and
// only progress moves an anchor, so no byte pattern keeps a connection forever:
//  - Idle (keepAliveTimeout): from the last response end (its last byte on the wire), or
//    the open. Empty lines before a request (RFC 9112 §2.2) count against it.
//  - Head (headersTimeout): from the first request byte after the previous request, not
//    before that request's response ended. Later bytes of the same head never move it.
//  - Body (bodyTimeout): from the last decoded body byte (or the head, or a resume of
//    reading that we decided). Chunk framing, extensions and trailers are not progress.
//  - Linger: a fixed time after our FIN.
//  - Handshake (TLS handshakeTimeout): from the accept until the handshake completes;
//    the keep-alive wait for the first request starts then.
//  - Send (sendTimeout): while output is queued (or a sendfile waits), from the last time
//    the kernel accepted bytes of it. Nothing else restarts it.
//  - Half-close: after the client's FIN with responses owed, from the last output
//    progress or response end, and from the last response end (see onPeerFin).
#include <sys/ioctl.h>

#include "Connection.h"
#include "Server.h"
#include "TlsSession.h"

namespace tsgi {

void Connection::updateTimeout() {
  TimeoutKind k;
  if (lingering) k = TimeoutKind::Linger;
  else if (closing || shutdownStarted) k = TimeoutKind::None;
  else if (tls && !tls->established()) k = TimeoutKind::Handshake;
  // A body we are reading (not paused by JavaScript, the in-flight limit or unread
  // output) must keep arriving.
  else if (reader.inBody()) k = wantsReading() ? TimeoutKind::Body : TimeoutKind::None;
  // Not idle while a request is in flight or our bytes still drain (sendTimeout runs).
  else if (outstanding || out.writing() || out.hasPending() || file.active) k = TimeoutKind::None;
  else if (headSince) k = TimeoutKind::Head;
  else k = TimeoutKind::Idle;
  timeoutKind = k;
  const ServerConfig& cfg = server->config();
  // A timeout of 0 means none (as in Node's http server).
  switch (k) {
    case TimeoutKind::None: deadline = 0; break;
    case TimeoutKind::Idle: deadline = cfg.keepAliveMs ? lastEndAt + cfg.keepAliveMs : 0; break;
    case TimeoutKind::Head:
      // A head that started while its predecessor was being answered gets its full time
      // from that response's end (the client had no reason to hurry before).
      deadline = cfg.headersMs ? (headSince > lastEndAt ? headSince : lastEndAt) + cfg.headersMs : 0;
      break;
    case TimeoutKind::Body: deadline = cfg.bodyMs ? bodyMark + cfg.bodyMs : 0; break;
    case TimeoutKind::Linger: deadline = lingerSince + kLingerMs; break;
    case TimeoutKind::Handshake: {
      const uint64_t ms = server->handshakeMs();
      deadline = ms ? lastEndAt + ms : 0;  // lastEndAt: the accept (Connection::start)
      break;
    }
  }
  updateWatch();  // every state change that may start or end a response passes here
  // Closing server: a request not received yet has until the end of the grace period.
  if (server->closing() && (k == TimeoutKind::Idle || k == TimeoutKind::Head || k == TimeoutKind::Handshake) &&
      (!deadline || deadline > server->closeDeadline()))
    deadline = server->closeDeadline();
}

void Connection::onTimeout() {
  deadline = 0;
  if (timeoutKind == TimeoutKind::Head && !closeRequested) {
    // The head did not arrive in time (slowloris): 408 (RFC 9110 §15.5.9), then close.
    timeoutKind = TimeoutKind::None;
    leftover.clear();
    pendingError = HttpError::RequestTimeout;
    writeErrorResponse(HttpError::RequestTimeout);
    requestClose(true);
    return;
  }
  if (timeoutKind == TimeoutKind::Body) {
    // The body stalled: 408 (RFC 9110 §15.5.9) if this request's response has not begun
    // (JavaScript is still waiting for the body), then close; its exchange aborts.
    timeoutKind = TimeoutKind::None;
    onParseError(HttpError::RequestTimeout, true);
    return;
  }
  if (timeoutKind == TimeoutKind::Idle && server->closing() && !closeRequested) {
    timeoutKind = TimeoutKind::None;
    requestClose(true);  // no request came during the close grace period: a FIN
    return;
  }
  close();
}

// Bytes the client took: what the kernel accepted from us, less what still sits in its
// send queue. The kernel accepting bytes is not enough as a measure: a socket turns
// writable only when a third of its send buffer is free, so a client reading 64 KiB now
// and then makes progress that accepted bytes alone would show only every few seconds.
uint64_t Connection::accepted() const {
  uint64_t n = sentTotal;
  // libuv lowers write_queue_size as the kernel takes bytes of the running uv_write.
  if (out.writing() && out.inFlightSize() >= h.stream.write_queue_size)
    n += out.inFlightSize() - h.stream.write_queue_size;
  uv_os_fd_t fd;
  int queued = 0;
  if (uv_fileno(&h.handle, &fd) == 0 && ::ioctl(fd, TIOCOUTQ, &queued) == 0 && queued > 0 &&
      uint64_t(queued) <= n)
    n -= uint64_t(queued);
  return n;
}

void Connection::armSend() {
  const uint64_t ms = server->config().sendMs;
  if (sendDeadline || !ms) return;
  sendMark = accepted();
  sendDeadline = server->now() + ms;
}

// The client half-closed. RFC 9112 §9.6 lets it still read, and requests already
// received are answered, a pipelined batch included, but only while they make progress:
//  - bytes accepted by the kernel or a response end at least every kHalfCloseMs: a
//    client that closed fully never reads, and an idle streamed response to it would
//    otherwise never learn it (writing would: the client's kernel answers with RST);
//  - a response end at least every kHalfCloseEndMs: an endless stream to a client that
//    half-closed and keeps reading ends too.
// Past either, the connection is reset and JavaScript gets kEvClosed (a streamed
// body's close() runs). Clients that half-close and then wait for a slow or endless
// response are rare; curl and browsers close fully.
void Connection::onPeerFin() {
  if (finDeadline || closing) return;
  finMark = accepted();
  finDeadline = server->now() + kHalfCloseMs;
  finEndDeadline = server->now() + kHalfCloseEndMs;
  server->armSoon(finDeadline);  // finer than the 1 s tick: "within about a second"
}

// Returns true when the connection was reset.
bool Connection::checkHalfClose(uint64_t now) {
  // After our FIN (all owed responses are out) a reset would only destroy them.
  if (!finDeadline || shutdownStarted || closing) return false;
  uint64_t a = accepted();
  if (a != finMark) {
    finMark = a;
    finDeadline = now + kHalfCloseMs;
  } else if (now >= finDeadline) {
    abort();
    return true;
  }
  if (now >= finEndDeadline) {
    abort();
    return true;
  }
  server->armSoon(finDeadline < finEndDeadline ? finDeadline : finEndDeadline);
  return false;
}

void Connection::checkTimeouts(uint64_t now) {
  if (sendDeadline) {
    uint64_t a = accepted();
    if (a != sendMark) {
      sendMark = a;
      sendDeadline = now + server->config().sendMs;
    } else if (now >= sendDeadline) {
      return abort();  // sendTimeout: the client accepts nothing (RST; kEvClosed follows)
    }
  }
  if (checkHalfClose(now)) return;
  if (deadline && now >= deadline) onTimeout();
}

}  // namespace tsgi
