// sendfile(2) bodies for a connection: zero copy, non-blocking, after the queued bytes.
// libuv allows one handle per descriptor and the stream already owns the socket, so
// writability is watched through a uv_poll on a dup() of it; the poll handle is closed
// with the connection (Connection::closeHandles) and frees itself in onPollClose.
#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>

#include "Connection.h"
#include "Server.h"
#include "SharedLayout.h"

namespace tsgi {

int Connection::startFile(int fd, int64_t offset, int64_t length) {
  if (closing || shutdownStarted) return -EPIPE;
  responseStarted = true;
  file.fd = fd;
  file.offset = offset;
  file.remaining = length;
  file.active = true;
  if (out.writing() || out.hasPending()) return 0;  // continues in onDrained
  int r = pumpFile();
  if (r != 0) file.active = false;
  return r;
}

int Connection::pumpFile() {
  if (closing || file.fd < 0) return -EPIPE;
  uv_os_fd_t sock;
  if (uv_fileno(&h.handle, &sock) != 0) return -EBADF;
  while (file.remaining > 0) {
    size_t chunk = file.remaining > (1 << 30) ? size_t(1) << 30 : size_t(file.remaining);
    off_t off = off_t(file.offset);
    ssize_t n = ::sendfile(sock, file.fd, &off, chunk);
    if (n > 0) {
      file.offset += n;
      file.remaining -= n;
      continue;
    }
    if (n == 0) return -EIO;  // the file is shorter than the length promised
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    if (!poll) {
      pollFd = dup(sock);
      if (pollFd < 0) return -errno;
      poll = new uv_poll_t;
      if (uv_poll_init(server->loop(), poll, pollFd) != 0) {
        delete poll;
        poll = nullptr;
        ::close(pollFd);
        pollFd = -1;
        return -EIO;
      }
      poll->data = this;
      pendingCloses++;
    }
    uv_poll_start(poll, UV_WRITABLE, onPollWritable);
    return 0;
  }
  return 1;
}

void Connection::onPollWritable(uv_poll_t* p, int status, int) {
  Connection* c = static_cast<Connection*>(p->data);
  uv_poll_stop(p);
  if (c->closing || !c->file.active) return;
  // libuv reports POLLERR as UV_EBADF: the socket failed (reset), the file is fine. The
  // connection is dead: closing it cancels the sendfile and reports EPIPE before the close.
  if (status < 0) return c->abort();
  int r = c->pumpFile();
  if (r != 0) {
    c->finishFile(r);
    c->maybeFinishClose();
  }
}

void Connection::finishFile(int result) {
  file.active = false;
  file.fd = -1;  // JavaScript may close it once told; never used again here
  int32_t* e = server->reserveEvents(3);
  e[0] = layout::kEventFileDone;
  e[1] = int32_t(id);
  e[2] = result == 1 ? 0 : -result;
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
