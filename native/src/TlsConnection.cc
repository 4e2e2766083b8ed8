// The TLS layer of a connection (TLS listeners only). Ciphertext from the socket goes
// into the session; plaintext comes out into the server's input area exactly as a plain
// read would land there, so the HTTP reader, limits, timeouts and pipelining are the
// plain code unchanged. Plaintext output (responses, error responses, file chunks) is
// encrypted and the ciphertext goes through sendRaw: the output queue, its high-water
// mark and sendTimeout measure encrypted bytes, as the kernel sees them.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <openssl/ssl.h>

#include "Connection.h"
#include "Server.h"
#include "TlsSession.h"

namespace tsgi {
namespace {

// Plaintext encrypted between two flushes of the session's output: bounds the memory
// BIO (and so what a connection keeps after a large response) to about this much.
constexpr size_t kTlsChunk = 64 * 1024;

// A TLS record starts with its content type; a ClientHello is a handshake record (22,
// RFC 8446 §5.1). Anything else first is not TLS. nginx answers plain HTTP on its TLS
// port with a plaintext 400; so do we (the wording matches nginx's meaning).
constexpr unsigned char kHandshakeRecord = 0x16;
const std::string& plainHttpReply() {
  static const std::string body = "400 Bad Request: plain HTTP request sent to an HTTPS port\n";
  static const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  return reply;
}

}  // namespace

Connection::~Connection() { delete tls; }

bool Connection::startTls() {
  SSL_CTX* ctx = server->tlsContext();
  if (!ctx) return true;
  tls = new TlsSession();
  return tls->init(ctx);
}

void Connection::onTlsRead(const char* data, size_t length) {
  if (tls->failed()) return;  // refused or failed: the FIN is on its way
  if (!tls->sawFirstByte) {
    tls->sawFirstByte = true;
    if (static_cast<unsigned char>(data[0]) != kHandshakeRecord) return refusePlainHttp();
  }
  tls->feed(data, length);
  if (!tls->established()) {
    TlsSession::Status st = tls->handshake();
    flushTls();  // the server's flight, or the alert
    if (closing) return;
    if (st == TlsSession::Status::Failed) return failTls();
    if (st != TlsSession::Status::Ok) return;
    lastEndAt = server->now();  // the keep-alive wait for the first request starts now
    updateTimeout();
  }
  drainTls();
}

// Decrypts while the HTTP side wants input, one kReadSize piece at a time, each placed
// after the connection's leftover in the input area as onAlloc would place a read.
// Whatever is left when reading stops (a paused body, a full pipeline, unread output)
// stays in the session; updateReading schedules resumeInput when reading resumes.
void Connection::drainTls() {
  if (!tls->established()) return;
  while (!closing && !tls->failed() && !shutdownStarted && !lingering && wantsReading()) {
    const SharedMemory& m = server->memory();
    const size_t keep = leftover.size();
    const size_t at = server->inputUsed();
    if (at + keep + 1024 > m.inputSize) return close();  // as in onAlloc: cannot happen
    size_t room = m.inputSize - keep - at;
    if (room > Server::kReadSize) room = Server::kReadSize;
    server->claimInput(at, keep + room);
    if (keep) std::memcpy(m.input + at, leftover.data(), keep);
    size_t n = 0;
    TlsSession::Status st = tls->read(m.input + at + keep, room, &n);
    if (st == TlsSession::Status::WantRead) break;
    if (st == TlsSession::Status::Closed) {  // close_notify: the client's FIN, in TLS
      flushTls();
      if (!closing) onEof();
      return;
    }
    if (st == TlsSession::Status::Failed) {  // a forged or broken record
      flushTls();
      return failTls();
    }
    readBase = at;
    processInput(m.input + at, keep + n);
    server->afterRead();
  }
  if (!closing) flushTls();  // TLS 1.3 session tickets, key update answers
}

void Connection::flushTls() {
  char* buf = server->tlsWriteBuffer();
  while (!closing && tls->outputPending()) {
    size_t n = tls->takeOutput(buf, Server::kReadSize);
    if (!n) break;
    uv_buf_t b = uv_buf_init(buf, unsigned(n));
    sendRaw(&b, 1);
  }
}

void Connection::sendTls(const uv_buf_t* bufs, unsigned count) {
  for (unsigned i = 0; i < count; i++) {
    const char* p = bufs[i].base;
    size_t left = bufs[i].len;
    while (left) {
      size_t chunk = left < kTlsChunk ? left : kTlsChunk;
      if (!tls->write(p, chunk)) return failTls();
      p += chunk;
      left -= chunk;
      if (tls->outputPending() >= kTlsChunk) flushTls();
      if (closing) return;
    }
  }
  flushTls();
}

// Handshake failures (bad version, no acceptable certificate, garbage) and broken
// records end the connection the same way: OpenSSL's alert (already flushed), then a
// FIN and a short linger, like any other refusal; nothing is logged and no other
// connection notices. Exchanges in flight learn it from kEvClosed.
void Connection::failTls() {
  if (closing) return;
  reader.fail();
  leftover.clear();
  if (openSent) jsClosed = true;
  requestClose(true);
}

void Connection::refusePlainHttp() {
  const std::string& reply = plainHttpReply();
  uv_buf_t b = uv_buf_init(const_cast<char*>(reply.data()), unsigned(reply.size()));
  sendRaw(&b, 1);
  tls->markFailed();
  failTls();
}

// No kernel TLS here (setsockopt TCP_ULP "tls" fails where the tls module is absent, as
// in most containers), so a file is read in kTlsChunk pieces and encrypted; the next
// piece is read only when the previous one's ciphertext left the queue (onDrained), so
// a large file never sits in memory.
int Connection::pumpFileTls() {
  char* buf = server->tlsReadBuffer();
  while (file.remaining > 0) {
    if (out.writing() || out.hasPending()) return 0;  // continues in onDrained
    size_t chunk = file.remaining < int64_t(kTlsChunk) ? size_t(file.remaining) : kTlsChunk;
    ssize_t n = ::pread(file.fd, buf, chunk, off_t(file.offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) return -EIO;  // the file is shorter than the length promised
    if (!tls->write(buf, size_t(n))) return -EPIPE;
    file.offset += n;
    file.remaining -= n;
    flushTls();
    if (closing) return -EPIPE;
  }
  return 1;
}

// ------------------------------------------------------------------ server ----

Server::~Server() {
  if (tlsContext_) SSL_CTX_free(tlsContext_);
}

void Server::setTls(SSL_CTX* ctx, uint64_t handshakeMs) {
  if (tlsContext_) SSL_CTX_free(tlsContext_);
  tlsContext_ = ctx;
  handshakeMs_ = handshakeMs;
  if (tlsRead_.empty()) {
    tlsRead_.resize(kReadSize);
    tlsWrite_.resize(kReadSize);
  }
}

bool Server::tlsFacts(uint32_t id, std::string* protocol, std::string* cipher, std::string* subject,
                      bool* hasSubject, std::string* verify, bool* clientCertRequested) const {
  Connection* c = find(id);
  if (!c || !c->tls || !c->tls->established()) return false;
  c->tls->facts(protocol, cipher, subject, hasSubject, verify, clientCertRequested);
  return true;
}

}  // namespace tsgi
