// sendfile(2) bodies for a connection (zero copy, non-blocking, after the queued bytes),
// and the watch on the client while we are not reading. libuv allows one handle per
// descriptor and the stream already owns the socket, so one uv_poll on a dup() of it
// watches for writability (a sendfile waiting) and for the client's FIN or RST
// (UV_DISCONNECT, POLLRDHUP); it is closed with the connection (closeHandles) and frees
// itself in onPollClose.
#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>

#include "Connection.h"
#include "Server.h"
#include "SharedLayout.h"

namespace tsgi {
namespace {
// The client left: the connection is reset, and JavaScript learns it as an abort
// (kEvFileDone with EPIPE, then kEvClosed), not as a failure of the file.
bool clientGone(int r) { return r == -EPIPE || r == -ECONNRESET; }
}  // namespace

int Connection::startFile(int fd, int64_t offset, int64_t length) {
  if (closing || shutdownStarted) return -EPIPE;
  responseStarted = true;
  file.fd = fd;
  file.offset = offset;
  file.remaining = length;
  file.active = true;
  if (out.writing() || out.hasPending()) return 0;  // continues in onDrained
  int r = pumpFile();
  if (clientGone(r)) {
    abort();  // cancels the file: kEvFileDone (EPIPE) and kEvClosed follow
    return 0;
  }
  if (r != 0) file.active = false;
  return r;
}

int Connection::pumpFile() {
  if (closing || file.fd < 0) return -EPIPE;
  if (tls) return pumpFileTls();
  uv_os_fd_t sock;
  if (uv_fileno(&h.handle, &sock) != 0) return -EBADF;
  while (file.remaining > 0) {
    size_t chunk = file.remaining > (1 << 30) ? size_t(1) << 30 : size_t(file.remaining);
    off_t off = off_t(file.offset);
    ssize_t n = ::sendfile(sock, file.fd, &off, chunk);
    if (n > 0) {
      sentTotal += uint64_t(n);
      file.offset += n;
      file.remaining -= n;
      continue;
    }
    if (n == 0) return -EIO;  // the file is shorter than the length promised
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    fileWaiting = true;
    updateWatch();
    if (!poll) return -EIO;
    armSend();
    return 0;
  }
  return 1;
}

// Not reading (pipeline halted, unread output, a paused body, a request with "close"):
// without a watch, a client that leaves is noticed only when a write fails, and an idle
// streamed response would never learn it. Watched only while a response is in progress.
void Connection::updateWatch(bool deferredPass) {
  bool busy = !closing && !lingering && !shutdownStarted &&
              (outstanding || out.writing() || out.hasPending() || file.active);
  // Before the client's FIN: watch for it (POLLRDHUP). After it, POLLRDHUP stays set, so
  // watch POLLPRI, which TCP never raises here: epoll reports the RST (POLLERR, POLLHUP)
  // anyway, and any report then means the client is gone. The next write would find out
  // too, but an idle stream may not write for a long time.
  bool finished = peerEof || finSeen;
  int events = (busy && !reading && !finished ? UV_DISCONNECT : 0) | (busy && finished ? UV_PRIORITIZED : 0) |
               (fileWaiting && !closing ? UV_WRITABLE : 0);
  constexpr int kPeer = UV_DISCONNECT | UV_PRIORITIZED;
  if (!deferredPass && (events & kPeer & ~watchEvents)) {
    // A new watch on the client waits for the end of the poll phase (Server::onCheck):
    // most responses are complete by then, and they never pay for dup() and epoll_ctl.
    if (!watchDeferred) {
      watchDeferred = true;
      server->deferWatch(this);
    }
    events = (events & ~kPeer) | (events & watchEvents & kPeer);
  }
  if (events == watchEvents) return;
  if (!events) {
    uv_poll_stop(poll);
    watchEvents = 0;
    return;
  }
  if (!poll) {
    uv_os_fd_t sock;
    if (uv_fileno(&h.handle, &sock) != 0) return;
    pollFd = dup(sock);
    if (pollFd < 0) return;
    poll = new uv_poll_t;
    if (uv_poll_init(server->loop(), poll, pollFd) != 0) {
      delete poll;
      poll = nullptr;
      ::close(pollFd);
      pollFd = -1;
      return;
    }
    poll->data = this;
    pendingCloses++;
  }
  watchEvents = events;
  uv_poll_start(poll, events, onPollEvent);
}

void Connection::onPollEvent(uv_poll_t* p, int status, int events) {
  Connection* c = static_cast<Connection*>(p->data);
  if (c->closing) return;
  // libuv reports POLLERR as UV_EBADF (and stops the handle): the socket failed (reset),
  // the file is fine. The connection is dead: closing it cancels a sendfile and reports
  // EPIPE before the close.
  if (status < 0) return c->abort();
  if ((events & UV_PRIORITIZED) && (c->peerEof || c->finSeen)) return c->abort();  // see updateWatch
  if (events & UV_DISCONNECT) {
    // FIN (or HUP): UV_DISCONNECT is level-triggered, so stop watching for it.
    c->finSeen = true;
    c->onPeerFin();
  }
  if ((events & UV_WRITABLE) && c->fileWaiting) {
    c->fileWaiting = false;
    if (c->file.active) {
      int r = c->pumpFile();
      if (clientGone(r)) return c->abort();
      if (r != 0) {
        c->finishFile(r);
        if (c->closing) return;
        c->maybeFinishClose();
      }
    }
  }
  if (!c->closing) c->updateWatch();
}

void Connection::finishFile(int result) {
  file.active = false;
  file.fd = -1;  // JavaScript may close it once told; never used again here
  int32_t* e = server->reserveEvents(layout::kFileDoneInts);
  e[layout::kRecordType] = layout::kEvFileDone;
  e[layout::kRecordConn] = int32_t(id);
  e[layout::kFileDoneErrno] = result == 1 ? 0 : -result;
  server->dispatchPending();
}

void Connection::onPollClose(uv_handle_t* handle) {
  Connection* c = static_cast<Connection*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  ::close(c->pollFd);
  c->pollFd = -1;
  c->poll = nullptr;
  if (--c->pendingCloses == 0) c->server->onConnectionClosed(c);
}

}  // namespace tsgi
