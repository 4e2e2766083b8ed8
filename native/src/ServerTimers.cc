// Server: the once-a-second tick (Date header, connection deadlines), the finer timer of
// half-close deadlines and of the forced end of a graceful close, and the graceful close
// itself. Listening, accepting and event batches are in Loop.cc.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "Connection.h"
#include "HttpDate.h"
#include "Server.h"
#include "SharedLayout.h"

namespace tsgi {

// ------------------------------------------------------------------ timers ----

// The Date header names the second the response is generated in (RFC 9110 §6.6.1).
// The text is rewritten once per second, so the tick fires just after each wall-clock
// second begins; a fixed 1 s interval from listen() would leave Date up to a second
// behind. libuv timers run on the monotonic clock, which drifts from the wall clock (and
// the wall clock may be stepped), so every tick measures the wall clock and re-arms for
// the next boundary; a tick that fires early only re-arms.
void Server::updateDate(time_t second) {
  if (second == dateSecond_) return;
  dateSecond_ = second;
  char text[kHttpDateLength + 1];
  formatHttpDate(second, text);
  std::memcpy(memory_.date, text, kHttpDateLength);
  memory_.control[layout::kControlDateGeneration]++;
}

void Server::armTick() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  updateDate(now.tv_sec);
  // The timer counts from the loop's cached time; refresh it so the delay starts now.
  uv_update_time(loop_);
  const uint64_t msIntoSecond = uint64_t(now.tv_nsec) / 1000000;
  uv_timer_start(&tick_, onTick, 1000 - msIntoSecond, 0);
}

void Server::onTick(uv_timer_t* t) {
  Server* s = static_cast<Server*>(t->data);
  s->armTick();
  s->sweepTimeouts();
}

void Server::sweepTimeouts() {
  uint64_t now = uv_now(loop_);
  // A graceful close ends in bounded time: responses still in progress (an endless
  // stream to a client that keeps reading) are cut, and JavaScript gets kEvClosed.
  const bool force = closing_ && now >= forceCloseAt_;
  for (Connection* c = first_; c;) {
    Connection* next = static_cast<Connection*>(c->next);
    if (!c->closing) {
      if (force) c->close();
      else c->checkTimeouts(now);
    }
    c = next;
  }
}

void Server::armSoon(uint64_t at) {
  if (finished_ || (soonAt_ && soonAt_ <= at)) return;
  uint64_t now = uv_now(loop_);
  soonAt_ = at;
  uv_timer_start(&soon_, onSoon, at > now ? at - now : 0, 0);
}

void Server::onSoon(uv_timer_t* t) {
  Server* s = static_cast<Server*>(t->data);
  s->soonAt_ = 0;
  uint64_t now = uv_now(s->loop_);
  if (s->closing_ && now >= s->forceCloseAt_) return s->sweepTimeouts();
  if (s->closing_) s->armSoon(s->forceCloseAt_);
  for (Connection* c = s->first_; c;) {
    Connection* next = static_cast<Connection*>(c->next);
    if (!c->closing && c->finDeadline) c->checkHalfClose(now);  // re-arms for the rest
    c = next;
  }
}

// ----------------------------------------------------------------- closing ----

// Graceful close:
//  - every connection the kernel completed is accepted before the listener closes (a
//    listener closed with a backlog resets those clients);
//  - a connection that has not delivered a complete request yet (just accepted, partial
//    head, or bytes already waiting in the socket) gets a grace period to send one; it is
//    served with "Connection: close" (JavaScript sees closing, onHead requests the close);
//  - a request in flight finishes, then the connection closes;
//  - an idle keep-alive connection with nothing in its socket buffer closes with a FIN
//    (shutdown, then linger), never a RST.
void Server::close() {
  if (closing_) return;
  if (listening_) {
    int r;
    do r = acceptOne(-1);  // the one libuv may hold
    while (r == 0);
    uv_os_fd_t lfd;
    if (uv_fileno(&listener_.handle, &lfd) == 0) {
      for (;;) {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          break;  // EAGAIN: the backlog is empty (or an error: nothing more to take)
        }
        acceptOne(fd);
      }
    }
  }
  closing_ = true;
  uint64_t grace = config_.headersMs && config_.headersMs < kCloseGraceMs ? config_.headersMs : kCloseGraceMs;
  closeDeadline_ = uv_now(loop_) + grace;
  // In-flight responses get sendTimeout (kCloseForceMs without one), and at least the
  // grace of requests not received yet; then sweepTimeouts cuts what is left.
  forceCloseAt_ = uv_now(loop_) + (config_.sendMs ? config_.sendMs : Connection::kCloseForceMs);
  if (forceCloseAt_ < closeDeadline_) forceCloseAt_ = closeDeadline_;
  if (listening_) {
    listening_ = false;
    uv_close(&listener_.handle, onListenClose);
  }
  for (Connection* c = first_; c;) {
    Connection* next = static_cast<Connection*>(c->next);
    c->beginServerClose();
    c = next;
  }
  if (!finished_) armSoon(forceCloseAt_);
  maybeFinishClose();
}

void Server::onListenClose(uv_handle_t* h) {
  Server* s = static_cast<Server*>(h->data);
  s->listenerOpen_ = false;
  s->maybeFinishClose();
}

void Server::maybeFinishClose() {
  if (!closing_ || finished_ || listenerOpen_ || connectionCount_) return;
  finished_ = true;
  int32_t* e = reserveEvents(layout::kBareEventInts);
  e[layout::kRecordType] = layout::kEvServerClosed;
  e[layout::kRecordConn] = 0;
  dispatchPending();
  if (!auxOpen_) {
    bridge_->serverGone(this);
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), onAuxClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&soon_), onAuxClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), onAuxClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), onAuxClose);
}

void Server::onAuxClose(uv_handle_t* h) {
  Server* s = static_cast<Server*>(h->data);
  if (--s->auxOpen_ == 0) s->bridge_->serverGone(s);
}

}  // namespace tsgi
